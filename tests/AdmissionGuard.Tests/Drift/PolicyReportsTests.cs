using System.Text.Json.Nodes;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Tests.Support;
using Microsoft.Extensions.Logging;
using YamlDotNet.RepresentationModel;
using static AdmissionGuard.Tests.Drift.RecordingCluster;

namespace AdmissionGuard.Tests.Drift;

/// <summary>
/// PolicyReports (Drift:PolicyReports) written by the reporting replica (<see cref="RecordingCluster"/>): a
/// report per governed namespace, written only when it changed, removed when the namespace empties, and a
/// missing CRD said once.
/// </summary>
public sealed class PolicyReportsTests
{
    private static readonly PolicyKey AllowDns = new("payments", "allow-dns");

    [Fact]
    public async Task Each_governed_namespace_gets_a_report_with_a_pass_per_policy_equal_to_Git_and_a_fail_per_drifted_one()
    {
        await using var cluster = await StartAsync();
        var (publisher, _, _) = cluster.Replica(policyReports: true);

        await publisher.PublishAsync(Drifted(Live.Add(AllowDns, "uid-dns"), Db, DebugAllowAll, DefaultDeny), CancellationToken.None);

        Assert.Equal(["payments/admissionguard", "shop/admissionguard"], cluster.Stub.PolicyReports.Select(Name));
        var shop = cluster.Stub.PolicyReports.Single(r => Namespace(r) == "shop");
        Assert.Equal("admissionguard", shop["metadata"]!["labels"]!["app.kubernetes.io/managed-by"]!.GetValue<string>());
        Assert.Equal("""{"error":0,"fail":3,"pass":1,"skip":0,"warn":0}""", shop["summary"]!.ToJsonString());
        Assert.Equal(
            ["api pass drift/modified", "db fail drift/modified", "debug-allow-all fail drift/unmanaged", "default-deny fail drift/missing"],
            Results(shop).Select(r => $"{r["resources"]![0]!["name"]} {r["result"]} {r["rule"]}"));
        var db = Results(shop).Single(r => r["resources"]![0]!["name"]!.GetValue<string>() == "db");
        Assert.Equal(
            """{"category":"NetworkPolicy drift","message":"NetworkPolicy shop/db differs from Git (shop/db.yaml): spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432","policy":"admissionguard","properties":{"gitPath":"shop/db.yaml"},"resources":[{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","name":"db","namespace":"shop","uid":"8d2e4b6a-1c3f-4e5d-9a7b-0c1d2e3f4a5b"}],"result":"fail","rule":"drift/modified","severity":"high","source":"admissionguard","timestamp":{"nanos":0,"seconds":1796161800}}""",
            db.ToJsonString());
        var payments = cluster.Stub.PolicyReports.Single(r => Namespace(r) == "payments");
        Assert.Equal("NetworkPolicy payments/allow-dns equals Git", Results(payments).Single()["message"]!.GetValue<string>());
        Assert.Equal(2, cluster.Stub.PolicyReportWrites("POST"));
    }

    [Fact]
    public async Task A_report_is_written_only_when_its_content_changed()
    {
        await using var cluster = await StartAsync();
        var (publisher, _, _) = cluster.Replica(policyReports: true);
        var live = Live.Add(AllowDns, "uid-dns");
        await publisher.PublishAsync(Drifted(live, Db, DebugAllowAll), CancellationToken.None);

        // The same drift, found again later (a re-list, a new commit that changes nothing here), and the minute's tick.
        cluster.Clock.Advance(TimeSpan.FromMinutes(3));
        await publisher.PublishAsync(Drifted(live, Db, DebugAllowAll), CancellationToken.None);
        await publisher.PublishAsync(Drifted(live, Db, DebugAllowAll), CancellationToken.None);
        var putsWhileUnchanged = cluster.Stub.PolicyReportWrites("PUT");

        // shop/db restored by the GitOps sync: only shop's report changes.
        cluster.Clock.Advance(TimeSpan.FromMinutes(1));
        await publisher.PublishAsync(Drifted(live, DebugAllowAll), CancellationToken.None);

        Assert.Equal(0, putsWhileUnchanged);
        Assert.Equal(1, cluster.Stub.PolicyReportWrites("PUT"));
        Assert.Equal(2, cluster.Stub.PolicyReportWrites("POST"));
        var shop = cluster.Stub.PolicyReports.Single(r => Namespace(r) == "shop");
        Assert.Equal("""{"error":0,"fail":1,"pass":2,"skip":0,"warn":0}""", shop["summary"]!.ToJsonString());
        var debug = Results(shop).Single(r => r["resources"]![0]!["name"]!.GetValue<string>() == "debug-allow-all");
        Assert.Equal(RecordingCluster.Start.ToUnixTimeSeconds(), debug["timestamp"]!["seconds"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_replica_that_takes_over_reads_the_reports_and_writes_none_that_are_the_same()
    {
        await using var cluster = await StartAsync();
        await cluster.Replica("guard-a", policyReports: true).Publisher.PublishAsync(Drifted(Db), CancellationToken.None);

        cluster.Clock.Advance(TimeSpan.FromMinutes(2));
        await cluster.Replica("guard-b", policyReports: true).Publisher.PublishAsync(Drifted(Db), CancellationToken.None);

        Assert.Equal(2, cluster.Stub.Requests.Count(r => r.StartsWith("GET /apis/wgpolicyk8s.io/v1alpha2/policyreports?", StringComparison.Ordinal)));
        Assert.Equal((1, 0), (cluster.Stub.PolicyReportWrites("POST"), cluster.Stub.PolicyReportWrites("PUT")));
    }

    [Fact]
    public async Task A_namespace_without_governed_policies_loses_its_report()
    {
        await using var cluster = await StartAsync();
        var (publisher, _, _) = cluster.Replica(policyReports: true);
        await publisher.PublishAsync(Drifted(Live.Add(AllowDns, "uid-dns")), CancellationToken.None);

        await publisher.PublishAsync(Drifted(Live), CancellationToken.None);

        Assert.Equal(["shop/admissionguard"], cluster.Stub.PolicyReports.Select(Name));
        Assert.Equal(1, cluster.Stub.PolicyReportWrites("DELETE"));
        Assert.Contains("admissionguard_policy_report_writes_total{operation=\"delete\",result=\"success\"} 1", cluster.MetricsText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_CRD_one_line_is_logged_Events_are_still_recorded_and_the_CRD_is_looked_for_every_10_minutes()
    {
        await using var cluster = await StartAsync();
        cluster.Stub.PolicyReportCrd = false;
        var (publisher, _, _) = cluster.Replica(policyReports: true);

        await publisher.PublishAsync(Drifted(Db), CancellationToken.None);
        cluster.Clock.Advance(TimeSpan.FromMinutes(9));
        await publisher.PublishAsync(Drifted(Db, DebugAllowAll), CancellationToken.None);
        var looksWithin10Minutes = Lists(cluster);
        cluster.Clock.Advance(TimeSpan.FromMinutes(1));
        await publisher.PublishAsync(Drifted(Db, DebugAllowAll), CancellationToken.None);
        var looksAfter10Minutes = Lists(cluster);

        var logged = Assert.Single(cluster.Logger.Starting("{Setting} is on, but the API server does not serve"));
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.Equal(
            "AdmissionGuard:Drift:PolicyReports is on, but the API server does not serve wgpolicyk8s.io/v1alpha2 policyreports (404): install the PolicyReport CRD (docs/drift.md). Drift is still reported; looking again every 10 minutes",
            logged.Text);
        Assert.Equal((1, 2), (looksWithin10Minutes, looksAfter10Minutes));
        Assert.Equal(2, cluster.Stub.KubeEvents.Count);

        // Installed: the next look writes the reports.
        cluster.Stub.PolicyReportCrd = true;
        cluster.Clock.Advance(TimeSpan.FromMinutes(10));
        await publisher.PublishAsync(Drifted(Db, DebugAllowAll), CancellationToken.None);
        Assert.Equal(["shop/admissionguard"], cluster.Stub.PolicyReports.Select(Name));
        Assert.Single(cluster.Logger.Starting("The API server serves {Group}/{Version} policyreports"));
    }

    [Fact]
    public async Task Every_field_written_is_in_the_CRDs_v1alpha2_schema_and_every_enum_value_is_one_it_allows()
    {
        await using var cluster = await StartAsync();
        await cluster.Replica(policyReports: true).Publisher.PublishAsync(
            Drifted(Live.Add(AllowDns, "uid-dns"), Db with { LastChange = new ManagedFieldsEntry("kubectl-edit", ManagedFieldsOperation.Update, Start, PolicyFields.None) }, DebugAllowAll, DefaultDeny),
            CancellationToken.None);
        var schema = V1Alpha2Schema();
        var result = (YamlMappingNode)schema["properties"]["results"]["items"];
        var resultFields = Keys(result["properties"]);

        foreach (var report in cluster.Stub.PolicyReports)
        {
            Assert.Subset(Keys(schema["properties"]).ToHashSet(StringComparer.Ordinal), report.Select(p => p.Key).ToHashSet(StringComparer.Ordinal));
            Assert.Subset(Keys(schema["properties"]["summary"]["properties"]).ToHashSet(StringComparer.Ordinal), report["summary"]!.AsObject().Select(p => p.Key).ToHashSet(StringComparer.Ordinal));
            foreach (var written in Results(report))
            {
                Assert.Subset(resultFields.ToHashSet(StringComparer.Ordinal), written.Select(p => p.Key).ToHashSet(StringComparer.Ordinal));
                Assert.Contains(written["result"]!.GetValue<string>(), Enum(result["properties"]["result"]));
                if (written["severity"] is { } severity)
                {
                    Assert.Contains(severity.GetValue<string>(), Enum(result["properties"]["severity"]));
                }
            }
        }
    }

    private static int Lists(RecordingCluster cluster) =>
        cluster.Stub.Requests.Count(r => r.StartsWith("GET /apis/wgpolicyk8s.io/", StringComparison.Ordinal));

    private static string Name(JsonObject report) => $"{report["metadata"]!["namespace"]}/{report["metadata"]!["name"]}";

    private static string Namespace(JsonObject report) => report["metadata"]!["namespace"]!.GetValue<string>();

    private static List<JsonObject> Results(JsonObject report) => [.. report["results"]!.AsArray().Select(r => r!.AsObject())];

    private static string Fixture(string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "apiserver", "cluster", file);

    /// <summary>The openAPIV3Schema of v1alpha2 in crds/wgpolicyk8s.io_policyreports.yaml (the CRD file as published).</summary>
    private static YamlMappingNode V1Alpha2Schema()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Fixture(Path.Combine("crds", "wgpolicyk8s.io_policyreports.yaml")))));
        var crd = (YamlMappingNode)stream.Documents[0].RootNode;
        var version = ((YamlSequenceNode)crd["spec"]["versions"]).Cast<YamlMappingNode>().Single(v => ((YamlScalarNode)v["name"]).Value == "v1alpha2");
        return (YamlMappingNode)version["schema"]["openAPIV3Schema"];
    }

    private static List<string> Keys(YamlNode mapping) => [.. ((YamlMappingNode)mapping).Children.Keys.Select(k => ((YamlScalarNode)k).Value!)];

    private static List<string> Enum(YamlNode property) => [.. ((YamlSequenceNode)property["enum"]).Select(v => ((YamlScalarNode)v).Value!)];
}
