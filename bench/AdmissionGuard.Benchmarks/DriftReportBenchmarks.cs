using AdmissionGuard.Cli;
using AdmissionGuard.Core;
using AdmissionGuard.Hosting;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace AdmissionGuard.Benchmarks;

/// <summary>
/// <c>GET /drift</c> on a report of 50,000 drifted policies (5,000 namespaces of 10, each with two differences):
/// the whole report streamed, one namespace, and a page of 500, each written to a stream that keeps nothing.
/// </summary>
[MemoryDiagnoser]
public class DriftReportBenchmarks
{
    private DriftReport _report = null!;

    [Params(50_000)]
    public int Items { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var items = Enumerable.Range(0, Items)
            .Select(i => new DriftItem(Namespace(i), $"policy-{i % 10}", (DriftType)(i % 3), i % 3 == 2
                ? ["spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432", "spec.podSelector: app=db instead of app=db-primary"]
                : [], i % 3 == 1 ? null : $"{Namespace(i)}/policy-{i % 10}.yaml"))
            .OrderBy(i => i.Namespace, StringComparer.Ordinal).ThenBy(i => i.Name, StringComparer.Ordinal);
        _report = new DriftReport(new string('c', 40), "main", DateTimeOffset.UtcNow, Items, Items, [.. items]);
    }

    [Benchmark]
    public Task Whole() => Write("");

    [Benchmark]
    public Task OneNamespace() => Write($"?namespace={Namespace(Items / 2)}");

    [Benchmark]
    public Task PageOf500() => Write("?limit=500");

    private static string Namespace(int i) => $"team-{i / 10:D4}";

    private Task Write(string query)
    {
        var (_, items, next) = DriftQuery.Parse(new QueryCollection(QueryHelpers.ParseQuery(query))).Page(_report);
        return DriftJson.WriteAsync(Stream.Null, _report, items, next, CancellationToken.None);
    }
}
