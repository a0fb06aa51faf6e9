using System.Collections.Immutable;
using AdmissionGuard.Cluster;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Git;
using AdmissionGuard.Observability;
using AdmissionGuard.Tests.Support;
using k8s;

namespace AdmissionGuard.Tests.Drift;

/// <summary>
/// What the reporting replica records in the cluster (<see cref="DriftPublisher"/>, <see cref="EventRecorder"/>,
/// <see cref="PolicyReportWriter"/>), driven by hand against <see cref="KubernetesApiStub"/>: a test hands over
/// each report and moves the clock itself, so nothing waits on real time. The drift is the scanner tests' own
/// (Fixtures/live/cluster.json against <see cref="DriftFixtures.GitFiles"/>), with the uids of cluster.json.
/// </summary>
internal sealed class RecordingCluster : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 12, 1, 21, 50, 0, TimeSpan.Zero);

    public static readonly DriftItem Db = new("shop", "db", DriftType.Modified, ["spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432"], "shop/db.yaml");
    public static readonly DriftItem DebugAllowAll = new("shop", "debug-allow-all", DriftType.Unmanaged, [], null);
    public static readonly DriftItem DefaultDeny = new("shop", "default-deny", DriftType.Missing, [], "shop/default-deny.yaml");

    /// <summary>The governed live policies of cluster.json (kube-system is excluded) and their uids.</summary>
    public static readonly ImmutableDictionary<PolicyKey, string?> Live = new Dictionary<PolicyKey, string?>
    {
        [new("shop", "api")] = "2f6c0f1e-9a7b-4c1d-8e3f-5a6b7c8d9e01",
        [new("shop", "db")] = "8d2e4b6a-1c3f-4e5d-9a7b-0c1d2e3f4a5b",
        [new("shop", "debug-allow-all")] = "c4d5e6f7-0a1b-4c2d-8e9f-a0b1c2d3e4f5",
    }.ToImmutableDictionary();

    private readonly Kubernetes _client;

    private RecordingCluster(KubernetesApiStub stub)
    {
        Stub = stub;
        _client = new Kubernetes(new KubernetesClientConfiguration { Host = stub.Url });
    }

    public KubernetesApiStub Stub { get; }

    public ManualClock Clock { get; } = new(Start);

    public ListLogger Logger { get; } = new();

    public GuardMetrics Metrics { get; } = new(new BaselineStore(), new DriftStore(enabled: true), TimeProvider.System);

    public static async Task<RecordingCluster> StartAsync() => new(await KubernetesApiStub.StartAsync([]));

    /// <summary>A reporting replica's writers, as the scanner makes them when it starts (a restart makes new ones).</summary>
    public (DriftPublisher Publisher, EventRecorder Events, PolicyReportWriter? Reports) Replica(string identity = "guard-a", bool policyReports = false)
    {
        // The scanner's pipeline, with short waits: the stub answers no 429 or 5xx that it would retry.
        var pipeline = KubernetesApi.Pipeline(retries: 1, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(10), Clock);
        var events = new EventRecorder(_client, Stub.Url, identity, pipeline, Metrics, Clock, Logger);
        var reports = policyReports ? new PolicyReportWriter(_client, Stub.Url, pipeline, Metrics, Clock, Logger) : null;
        return (new DriftPublisher(events, reports, Clock, Logger), events, reports);
    }

    public static PublishedDrift Drifted(ImmutableDictionary<PolicyKey, string?>? live = null, params DriftItem[] items) =>
        new(new DriftReport("827d35d3b4ad47c809113d4a8f72655d421aea13", "main", Start, 3, 3, [.. items]), live ?? Live);

    public static PublishedDrift Drifted(params DriftItem[] items) => Drifted(null, items);

    public string MetricsText()
    {
        using var stream = new MemoryStream();
        Metrics.Registry.CollectAndExportAsTextAsync(stream).GetAwaiter().GetResult();
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await Stub.DisposeAsync();
    }
}
