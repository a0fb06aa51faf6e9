using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AdmissionGuard.Cluster;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Core.Policy;
using k8s;

namespace AdmissionGuard.Benchmarks;

/// <summary>
/// The drift scanner's list at scale: COUNT live NetworkPolicies, as an API server serves them after GitOps and
/// <c>kubectl apply</c> (managedFields, the last-applied copy, Argo CD's tracking id, status), listed in pages of
/// <see cref="KubernetesApi.PageSize"/> from an in-memory API server (pages are made as they are asked for, so the
/// process holds only what the guard keeps), read as the scanner reads them, then compared with a baseline of the
/// same policies. Prints the time of each step and memory: managed heap kept by the live snapshot, and the
/// process's peak resident memory.
/// </summary>
internal static class LiveList
{
    public static async Task<int> RunAsync(int count)
    {
        // The declared policies, shared as a loaded baseline's are.
        var sharing = new PolicySharing();
        var baseline = new Baseline(new string('a', 40), "main", DateTimeOffset.UtcNow, Enumerable.Range(0, count)
            .Select(i => new BaselineEntry(sharing.Share(PolicyReader.Read(System.Text.Json.JsonDocument.Parse(Fixtures.Declared(i).ToJsonString()).RootElement)), $"clusters/prod/{i}.yaml", 0)));
        var before = GC.GetTotalMemory(forceFullCollection: true);

        var server = new InMemoryApiServer(count);
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = "http://127.0.0.1:1" }, server);
        var pipeline = KubernetesApi.Pipeline(retries: 1, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(5), TimeProvider.System);
        var started = Stopwatch.GetTimestamp();
        var (items, _) = await KubernetesApi.ListAsync(client, pipeline, policy => KubernetesApi.Canonical(policy, baseline, new DecisionSettings()), CancellationToken.None);
        var live = items.ToImmutableDictionary(p => p.Id);
        var listed = Stopwatch.GetElapsedTime(started);

        var kept = GC.GetTotalMemory(forceFullCollection: true) - before;
        started = Stopwatch.GetTimestamp();
        var report = Drift.Find(baseline, live.Values, new DecisionSettings(), [], DateTimeOffset.UtcNow);
        var compared = Stopwatch.GetElapsedTime(started);

        // A watch event: one policy widened. The scanner compares what changed (Update); the whole report is for comparison.
        var key = live.Keys.First();
        var widened = KubernetesApi.Canonical(KubernetesJson.Deserialize<k8s.Models.V1NetworkPolicy>(
            Fixtures.Live(Array.IndexOf([.. Enumerable.Range(0, count).Select(Fixtures.Name)], key.Name), PolicyCase.Different, labelAdded: false).ToJsonString()));
        var changed = live.SetItem(key, widened);
        var updated = Drift.Update(report, baseline, changed, [key], new DecisionSettings(), [], DateTimeOffset.UtcNow);
        started = Stopwatch.GetTimestamp();
        updated = Drift.Update(report, baseline, changed, [key], new DecisionSettings(), [], DateTimeOffset.UtcNow);
        var event1 = Stopwatch.GetElapsedTime(started);
        started = Stopwatch.GetTimestamp();
        var again = Drift.Find(baseline, changed.Values, new DecisionSettings(), [], DateTimeOffset.UtcNow);
        var whole = Stopwatch.GetElapsedTime(started);
        if (updated.Items.Length != again.Items.Length || updated.Live != again.Live)
        {
            throw new InvalidOperationException("the update and the whole comparison disagree");
        }

        Console.WriteLine($"{count} live policies: listed and read in {listed.TotalSeconds:0.00} s (of which the in-memory API server making its pages {server.Making.TotalSeconds:0.00} s); compared in {compared.TotalSeconds:0.00} s ({report.Items.Length} drifted); "
            + $"one watch event: updated in {event1.TotalMilliseconds:0.00} ms (the second time: the first compiles the code), the whole report again {whole.TotalMilliseconds:0} ms ({updated.Items.Length} drifted)");
        Console.WriteLine($"managed heap kept by the live snapshot: {kept / 1024 / 1024} MiB ({kept / count} bytes per policy); "
            + $"process peak resident: {PeakResidentMiB()} MiB; live snapshot entries {live.Count}");
        GC.KeepAlive(live);
        return 0;
    }

    private static long PeakResidentMiB() =>
        File.ReadLines("/proc/self/status").Where(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024).FirstOrDefault();

    /// <summary>Answers list requests for NetworkPolicies in all namespaces, page by page, with a continue token.</summary>
    private sealed class InMemoryApiServer(int count) : DelegatingHandler
    {
        /// <summary>Time spent making pages: the API server's work, not the guard's.</summary>
        public TimeSpan Making { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var started = Stopwatch.GetTimestamp();
            var query = System.Web.HttpUtility.ParseQueryString(request.RequestUri!.Query);
            var start = int.TryParse(query["continue"], out var next) ? next : 0;
            var end = Math.Min(count, start + KubernetesApi.PageSize);
            var page = new JsonObject
            {
                ["apiVersion"] = "networking.k8s.io/v1",
                ["kind"] = "NetworkPolicyList",
                ["metadata"] = end < count ? new JsonObject { ["resourceVersion"] = "48213", ["continue"] = end.ToString(System.Globalization.CultureInfo.InvariantCulture) } : new JsonObject { ["resourceVersion"] = "48213" },
                ["items"] = new JsonArray([.. Enumerable.Range(start, end - start).Select(i => (JsonNode)Fixtures.Live(i, PolicyCase.Equal, labelAdded: false))]),
            };
            var content = new StringContent(page.ToJsonString(), Encoding.UTF8, "application/json");
            Making += Stopwatch.GetElapsedTime(started);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request, Content = content });
        }
    }
}
