using System.Net;
using System.Text.Json.Nodes;
using System.Net.Http.Json;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Drift;

/// <summary>
/// The drift scanner of <c>serve</c>: the real server reading a real Git repository, and the
/// Kubernetes API as <see cref="KubernetesApiStub"/> (a stub of list, watch, Leases, Events and PolicyReports).
/// </summary>
public sealed class DriftScannerTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly GitRepository _repository = new();
    private readonly TempDirectory _work = new();
    private readonly string _commit;

    public DriftScannerTests()
    {
        _commit = _repository.Commit(DriftFixtures.GitFiles());
    }

    private static readonly string[] ClusterDrift =
    [
        "shop/db modified shop/db.yaml: spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432",
        "shop/debug-allow-all unmanaged -",
        "shop/default-deny missing shop/default-deny.yaml",
    ];

    [Fact]
    public async Task The_scanner_is_off_by_default_and_drift_answers_404()
    {
        await using var host = await GuardHost.StartAsync(_repository.Path);

        using var response = await host.Ops.GetAsync("/drift");
        var metrics = await host.Ops.GetStringAsync("/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("AdmissionGuard:Drift:Enabled", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(Server.MetricsTests.Exported(metrics, "admissionguard_drift_reporting"));
        Assert.False(Server.MetricsTests.Exported(metrics, "admissionguard_drift_items"));
    }

    [Fact]
    public async Task The_reporting_replica_serves_each_drift_type_on_the_ops_port_and_logs_each_item_once()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        await using var host = await StartAsync(stub, "guard-a");

        var report = await WaitForDriftAsync(host, r => r["commit"]?.GetValue<string>() == _commit);
        using var onWebhookPort = await host.Webhook.GetAsync("/drift");

        Assert.Equal(ClusterDrift, DriftFixtures.Items(report));
        Assert.Equal("main", report["ref"]!.GetValue<string>());
        Assert.Equal(1, report["summary"]!["missing"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NotFound, onWebhookPort.StatusCode);
        Assert.Equal("guard-a", stub.LeaseHolder("admissionguard", "admissionguard-drift"));
        Assert.Equal(["shop/db", "shop/debug-allow-all", "shop/default-deny"], Logged(host, "Drift found"));
    }

    [Fact]
    public async Task The_report_is_served_filtered_and_in_pages_and_a_bad_query_is_a_400()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        await using var host = await StartAsync(stub, "guard-a");
        await WaitForDriftAsync(host, r => DriftFixtures.Items(r).SequenceEqual(ClusterDrift));

        var missing = await host.Ops.GetFromJsonAsync<JsonNode>("/drift?type=missing&namespace=shop");
        var first = await host.Ops.GetFromJsonAsync<JsonNode>("/drift?limit=2");
        var second = await host.Ops.GetFromJsonAsync<JsonNode>($"/drift?limit=2&continue={first!["continue"]!.GetValue<string>()}");
        using var bad = await host.Ops.GetAsync("/drift?type=drifted");

        Assert.Equal(["shop/default-deny missing shop/default-deny.yaml"], DriftFixtures.Items(missing!));
        Assert.Equal(3, missing!["summary"]!["missing"]!.GetValue<int>() + missing["summary"]!["unmanaged"]!.GetValue<int>() + missing["summary"]!["modified"]!.GetValue<int>());
        Assert.Equal(ClusterDrift, DriftFixtures.Items(first).Concat(DriftFixtures.Items(second!)));
        Assert.Null(second!["continue"]);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("type \"drifted\" is not missing, unmanaged or modified\n", await bad.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Watch_events_resolve_and_add_drift_and_each_change_is_logged_once()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        await using var host = await StartAsync(stub, "guard-a");
        var listed = await WaitForDriftAsync(host, r => DriftFixtures.Items(r).SequenceEqual(ClusterDrift));

        stub.Apply(DriftFixtures.DbRestored());
        stub.Delete("shop", "debug-allow-all");
        stub.Apply(DriftFixtures.Unmanaged("shop", "allow-all-temp"));
        var report = await WaitForDriftAsync(host, r => DriftFixtures.Items(r).Count == 2);

        var metrics = await host.Ops.GetStringAsync("/metrics");

        Assert.Equal(["shop/allow-all-temp unmanaged -", "shop/default-deny missing shop/default-deny.yaml"], DriftFixtures.Items(report));

        // Updated from the three events alone: one policy went, one came, so as many are live and declared as before.
        Assert.Equal(listed["summary"]!["live"]!.GetValue<int>(), report["summary"]!["live"]!.GetValue<int>());
        Assert.Equal(listed["summary"]!["declared"]!.GetValue<int>(), report["summary"]!["declared"]!.GetValue<int>());
        Assert.Contains("admissionguard_drift_items{type=\"missing\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("admissionguard_drift_items{type=\"unmanaged\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("admissionguard_drift_items{type=\"modified\"} 0\n", metrics, StringComparison.Ordinal);
        Assert.Equal(["shop/db", "shop/debug-allow-all"], Logged(host, "Drift resolved"));
        Assert.Equal(["shop/allow-all-temp", "shop/db", "shop/debug-allow-all", "shop/default-deny"], Logged(host, "Drift found"));
        Assert.Equal(1, stub.Lists);
    }

    [Fact]
    public async Task An_expired_break_glass_on_a_drifted_policy_is_reported_and_counted_by_its_gauge()
    {
        // shop/db of Fixtures/live/cluster.json (modified) with a break-glass that expired an hour ago, and
        // fx-mf/web-allow-frontend as managedfields-03-edit.json recorded it (unmanaged here) with one that holds for two hours.
        var expired = DateTimeOffset.UtcNow.AddHours(-1);
        var objects = DriftFixtures.LiveObjects();
        DriftFixtures.WithBreakGlass(objects.Single(o => o["metadata"]!["name"]!.GetValue<string>() == "db"), "INC-7 migration", expired);
        var edited = DriftFixtures.WithBreakGlass(DriftFixtures.Recorded("managedfields-03-edit.json"), "INC-8", DateTimeOffset.UtcNow.AddHours(2));
        await using var stub = await KubernetesApiStub.StartAsync([.. objects, edited]);
        await using var host = await StartAsync(stub, "guard-a");

        var report = await WaitForDriftAsync(host, r => r["commit"]?.GetValue<string>() == _commit);
        var metrics = await host.Ops.GetStringAsync("/metrics");

        Assert.Contains("admissionguard_drift_break_glass_expired 1\n", metrics, StringComparison.Ordinal);
        Assert.Equal(1, report["summary"]!["breakGlassExpired"]!.GetValue<int>());
        var db = Item(report, "shop", "db");
        Assert.Equal($$"""{"reason":"INC-7 migration","expires":"{{DriftFixtures.Time(expired)}}","expired":true}""", db["breakGlass"]!.ToJsonString());
        Assert.Equal("""{"manager":"kubectl-edit","operation":"Update","time":"2026-11-26T23:41:17Z"}""", db["lastChange"]!.ToJsonString());
        var web = Item(report, "fx-mf", "web-allow-frontend");
        Assert.Equal("unmanaged", web["type"]!.GetValue<string>());
        Assert.Equal("""{"manager":"kubectl-edit","operation":"Update","time":"2026-12-01T21:48:59Z"}""", web["lastChange"]!.ToJsonString());
        Assert.False(web["breakGlass"]!["expired"]!.GetValue<bool>());
        Assert.Equal(["shop/db"], Logged(host, "Break-glass expired"));
    }

    [Fact]
    public async Task A_break_glass_that_expires_while_nothing_changes_is_reported_expired_from_its_expiry()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        var expires = clock.GetUtcNow().AddMinutes(30);
        var objects = DriftFixtures.LiveObjects();
        DriftFixtures.WithBreakGlass(objects.Single(o => o["metadata"]!["name"]!.GetValue<string>() == "db"), "INC-7 migration", expires);
        await using var stub = await KubernetesApiStub.StartAsync(objects);
        await using var host = await GuardHost.StartAsync(_repository.Path, Settings(stub.WriteKubeconfig(_work.Path), "guard-a"), clock: clock);

        var before = await WaitForDriftAsync(host, r => r["commit"]?.GetValue<string>() == _commit);
        var gaugeBefore = await host.Ops.GetStringAsync("/metrics");
        clock.Advance(TimeSpan.FromMinutes(30));
        var after = await WaitForDriftAsync(host, r => r["summary"]!["breakGlassExpired"]!.GetValue<int>() == 1);
        var gaugeAfter = await host.Ops.GetStringAsync("/metrics");

        Assert.False(Item(before, "shop", "db")["breakGlass"]!["expired"]!.GetValue<bool>());
        Assert.Contains("admissionguard_drift_break_glass_expired 0\n", gaugeBefore, StringComparison.Ordinal);
        Assert.True(Item(after, "shop", "db")["breakGlass"]!["expired"]!.GetValue<bool>());
        Assert.True(after["scannedAt"]!.GetValue<DateTimeOffset>() >= expires);
        Assert.Contains("admissionguard_drift_break_glass_expired 1\n", gaugeAfter, StringComparison.Ordinal);
        Assert.Equal(["shop/db"], Logged(host, "Break-glass expired"));
        Assert.Equal(1, stub.Lists);
    }

    [Fact]
    public async Task A_new_baseline_commit_is_compared_at_once_without_a_cluster_change()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        await using var host = await StartAsync(stub, "guard-a");
        await WaitForDriftAsync(host, r => DriftFixtures.Items(r).SequenceEqual(ClusterDrift));

        var second = _repository.Commit(new Dictionary<string, string>
        {
            ["shop/debug.yaml"] = """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: debug-allow-all, namespace: shop}
                spec:
                  podSelector: {}
                  ingress: [{}]
                """,
        });
        using var refresh = await host.Ops.PostAsync("/refresh", new StringContent(""));
        var report = await WaitForDriftAsync(host, r => r["commit"]?.GetValue<string>() == second);

        Assert.Equal([ClusterDrift[0], ClusterDrift[2]], DriftFixtures.Items(report));
        Assert.Equal(["shop/debug-allow-all"], Logged(host, "Drift resolved"));
    }

    [Fact]
    public async Task The_cluster_is_not_listed_before_the_first_baseline_is_in_force()
    {
        _repository.Commit(new Dictionary<string, string> { ["shop/broken.yaml"] = "kind: NetworkPolicy\nmetadata: [\n" });
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        await using var host = await StartAsync(stub, "guard-a");
        var failed = await host.WaitForErrorAsync();

        var waiting = await WaitForUnavailableAsync(host, r => r["error"]!.GetValue<string>().Contains("waiting for the Git baseline", StringComparison.Ordinal));
        await Task.Delay(DriftScannerPolls * 3);
        var listedWhileWaiting = stub.Lists;
        var fixedCommit = _repository.Commit(new Dictionary<string, string> { ["shop/broken.yaml"] = "# nothing here yet\n" });
        using var refresh = await host.Ops.PostAsync("/refresh", new StringContent(""));
        var report = await WaitForDriftAsync(host, r => r["commit"]?.GetValue<string>() == fixedCommit);

        Assert.Contains("shop/broken.yaml", failed["lastError"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("guard-a", waiting["leader"]!.GetValue<string>());
        Assert.Equal(0, listedWhileWaiting);
        Assert.Equal(ClusterDrift, DriftFixtures.Items(report));
        Assert.Equal(1, stub.Lists);
    }

    [Fact]
    public async Task The_cluster_is_not_listed_until_what_the_baselines_load_left_is_collected()
    {
        _repository.Commit(new Dictionary<string, string> { ["shop/broken.yaml"] = "kind: NetworkPolicy\nmetadata: [\n" });
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        await using var host = await StartAsync(stub, "guard-a");
        await host.WaitForErrorAsync();
        var loaded = new AdmissionGuard.Core.Baseline(new string('c', 40), "main", DateTimeOffset.UtcNow, []);

        host.Baselines.PublishLoaded(host.Baselines.State with { Baseline = loaded });
        await Task.Delay(DriftScannerPolls * 3);
        var listedWhileCollecting = stub.Lists;
        host.Baselines.Collected();
        var report = await WaitForDriftAsync(host, r => r["commit"]?.GetValue<string>() == loaded.Commit);

        Assert.Equal(0, listedWhileCollecting);
        Assert.Equal(1, stub.Lists);
        Assert.NotEmpty(DriftFixtures.Items(report));
    }

    private static readonly TimeSpan DriftScannerPolls = AdmissionGuard.Cluster.DriftScanner.BaselinePoll;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_dropped_watch_is_resumed_from_its_resource_version_without_listing_again(bool abort)
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        await using var host = await StartAsync(stub, "guard-a");
        await WaitForDriftAsync(host, r => DriftFixtures.Items(r).SequenceEqual(ClusterDrift));
        var listedAt = stub.LastListVersion;

        stub.DropWatches(abort);
        await Eventually(() => stub.Watches.Count >= 2, "the watch was not resumed");
        stub.Apply(DriftFixtures.DbRestored());
        var report = await WaitForDriftAsync(host, r => DriftFixtures.Items(r).Count == 2);

        Assert.Equal([ClusterDrift[1], ClusterDrift[2]], DriftFixtures.Items(report));
        Assert.True(stub.Watches[1].Contains($"resourceVersion={listedAt}&", StringComparison.Ordinal), $"listed at {listedAt}; requests: {string.Join(" | ", stub.Requests)}");
        Assert.Equal(1, stub.Lists);
    }

    [Fact]
    public async Task An_expired_watch_lists_again_and_sees_what_changed_meanwhile()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        await using var host = await StartAsync(stub, "guard-a");
        await WaitForDriftAsync(host, r => DriftFixtures.Items(r).SequenceEqual(ClusterDrift));

        stub.ExpireWatches();
        stub.Apply(DriftFixtures.DbRestored());
        var report = await WaitForDriftAsync(host, r => DriftFixtures.Items(r).Count == 2);

        Assert.Equal([ClusterDrift[1], ClusterDrift[2]], DriftFixtures.Items(report));
        await Eventually(() => stub.Lists >= 2, "no new list after 410 Gone");
    }

    [Fact]
    public async Task Only_the_holder_of_the_Lease_reports_the_other_replica_still_validates_and_takes_over_when_the_holder_stops_and_releases_it()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        var first = await StartAsync(stub, "guard-a");
        var firstStopped = false;
        try
        {
            await WaitForDriftAsync(first, r => DriftFixtures.Items(r).SequenceEqual(ClusterDrift));
            await using var second = await StartAsync(stub, "guard-b");

            var refusal = await WaitForUnavailableAsync(second, r => r["leader"]?.GetValue<string>() == "guard-a");
            var review = await second.ReviewAsync(Reviews.Load("create"));
            var listsWhileFirstLeads = stub.Lists;
            var loggedBySecond = Logged(second, "Drift found");
            var (firstMetrics, secondMetrics) = (await first.Ops.GetStringAsync("/metrics"), await second.Ops.GetStringAsync("/metrics"));
            firstStopped = true;
            await first.DisposeAsync();
            var takenOver = await WaitForDriftAsync(second, r => DriftFixtures.Items(r).SequenceEqual(ClusterDrift));
            var afterTakeOver = await second.Ops.GetStringAsync("/metrics");

            Assert.Contains("this replica does not report drift: the Lease admissionguard/admissionguard-drift is held by guard-a", refusal["error"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal("7d38d3e3-24a0-4500-b566-160b100043dc", review["uid"]!.GetValue<string>());
            Assert.Equal(1, listsWhileFirstLeads);
            Assert.Empty(loggedBySecond);
            Assert.Equal(_commit, takenOver["commit"]!.GetValue<string>());
            Assert.Equal("guard-b", stub.LeaseHolder("admissionguard", "admissionguard-drift"));
            Assert.Single(first.Logs.Events, e => e.MessageTemplate.Text.StartsWith("Released the Lease", StringComparison.Ordinal));
            Assert.Equal(1, Server.MetricsTests.Value(firstMetrics, "admissionguard_drift_reporting"));
            Assert.Equal(0, Server.MetricsTests.Value(secondMetrics, "admissionguard_drift_reporting"));
            Assert.False(Server.MetricsTests.Exported(secondMetrics, "admissionguard_drift_items"));
            Assert.Equal(1, Server.MetricsTests.Value(afterTakeOver, "admissionguard_drift_reporting"));
            Assert.Equal(1, Server.MetricsTests.Value(afterTakeOver, "admissionguard_drift_items{type=\"missing\"}"));
        }
        finally
        {
            if (!firstStopped)
            {
                await first.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_watch_the_API_server_refuses_backs_off_instead_of_listing_again_and_again()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        stub.FailWatches = HttpStatusCode.Forbidden;
        await using var host = await StartAsync(stub, "guard-a");

        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline && !host.Logs.Events.Any(e => e.RenderMessage().StartsWith("Cannot list or watch NetworkPolicies (attempt 2)", StringComparison.Ordinal)))
        {
            await Task.Delay(100);
        }

        var lists = stub.Lists;
        var refusal = host.Logs.Events.Select(e => e.RenderMessage()).First(m => m.StartsWith("Cannot list or watch NetworkPolicies (attempt 1)", StringComparison.Ordinal));

        Assert.InRange(lists, 2, 3);
        Assert.Contains("cannot watch resource \\\"networkpolicies\\\"", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_API_server_is_reported_by_drift_and_validate_still_answers()
    {
        var port = Ports.Free();
        var kubeconfig = KubernetesApiStub.WriteKubeconfig(_work.Path, $"http://127.0.0.1:{port}", "gone");
        await using var host = await GuardHost.StartAsync(_repository.Path, Settings(kubeconfig, "guard-a"));

        var refusal = await WaitForUnavailableAsync(host, r => r["lastError"] is not null);
        var review = await host.ReviewAsync(Reviews.Load("create"));

        Assert.Contains($"cannot reach the Kubernetes API server http://127.0.0.1:{port}", refusal["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(refusal["leader"]);
        Assert.Equal("7d38d3e3-24a0-4500-b566-160b100043dc", review["uid"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_Lease_the_service_account_may_not_read_is_logged_once_and_nothing_is_reported()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        stub.FailLeases = HttpStatusCode.Forbidden;
        await using var host = await StartAsync(stub, "guard-a");

        var refusal = await WaitForUnavailableAsync(host, r => r["lastError"] is not null);
        await Eventually(() => stub.Requests.Count(r => r.Contains("/leases/", StringComparison.Ordinal)) >= 3, "the Lease was not retried");
        var metrics = await host.Ops.GetStringAsync("/metrics");

        Assert.Contains("answered 403 Forbidden: leases.coordination.k8s.io \"admissionguard-drift\" is forbidden", refusal["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Single(host.Logs.Events, e => e.MessageTemplate.Text.StartsWith("Drift Lease {Lease}: ", StringComparison.Ordinal));
        Assert.Equal(0, stub.Lists);
        Assert.Equal(0, Server.MetricsTests.Value(metrics, "admissionguard_drift_reporting"));
    }

    [Fact]
    public async Task The_reporting_replica_records_an_Event_on_each_drifted_policy_and_another_when_its_drift_ends()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        await using var host = await StartAsync(stub, "guard-a");
        await Eventually(() => stub.KubeEvents.Count == 3, "no Event per drifted policy");

        stub.Apply(DriftFixtures.DbRestored());
        await Eventually(() => stub.KubeEvents.Count == 4, "no Event when the drift of shop/db ended");

        var events = stub.KubeEvents;
        Assert.Equal(
            ["db DriftDetected Warning", "db DriftResolved Normal", "debug-allow-all DriftDetected Warning", "default-deny DriftDetected Warning"],
            events.Select(e => $"{e["regarding"]!["name"]} {e["reason"]} {e["type"]}").Order(StringComparer.Ordinal));
        Assert.All(events, e => Assert.Equal(("shop", "admissionguard.io/drift-scanner", "guard-a"),
            (e["metadata"]!["namespace"]!.GetValue<string>(), e["reportingController"]!.GetValue<string>(), e["reportingInstance"]!.GetValue<string>())));
        Assert.Equal("8d2e4b6a-1c3f-4e5d-9a7b-0c1d2e3f4a5b", events.First(e => e["regarding"]!["name"]!.GetValue<string>() == "db")["regarding"]!["uid"]!.GetValue<string>());
        Assert.Null(events.Single(e => e["regarding"]!["name"]!.GetValue<string>() == "default-deny")["regarding"]!["uid"]);
        Assert.Equal(4, stub.EventCreates);
    }

    [Fact]
    public async Task Events_the_service_account_may_not_create_are_logged_once_and_drift_is_still_reported()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        stub.FailEvents = HttpStatusCode.Forbidden;
        await using var host = await StartAsync(stub, "guard-a");
        var listed = await WaitForDriftAsync(host, r => DriftFixtures.Items(r).SequenceEqual(ClusterDrift));

        stub.Apply(DriftFixtures.DbRestored());
        var report = await WaitForDriftAsync(host, r => DriftFixtures.Items(r).Count == 2);
        await Eventually(() => stub.EventCreates >= 4, "the Event of the resolved drift was not attempted");
        var metrics = await host.Ops.GetStringAsync("/metrics");

        Assert.Equal([ClusterDrift[1], ClusterDrift[2]], DriftFixtures.Items(report));
        Assert.Single(host.Logs.Events, e => e.MessageTemplate.Text.StartsWith("Cannot record the {Reason} Event", StringComparison.Ordinal));
        Assert.Equal(3, Server.MetricsTests.Value(metrics, "admissionguard_events_total{reason=\"DriftDetected\",result=\"failed\"}"));
        Assert.Empty(stub.KubeEvents);
    }

    [Fact]
    public async Task With_PolicyReports_on_the_namespace_gets_a_report_of_its_governed_policies()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        var settings = Settings(stub.WriteKubeconfig(_work.Path), "guard-a");
        settings["Drift:PolicyReports"] = "true";
        await using var host = await GuardHost.StartAsync(_repository.Path, settings);

        await Eventually(() => stub.PolicyReports.Count == 1, "no PolicyReport");

        var shop = stub.PolicyReports.Single();
        Assert.Equal(("shop", "admissionguard"), (shop["metadata"]!["namespace"]!.GetValue<string>(), shop["metadata"]!["name"]!.GetValue<string>()));
        Assert.Equal("""{"error":0,"fail":3,"pass":1,"skip":0,"warn":0}""", shop["summary"]!.ToJsonString());
    }

    [Fact]
    public async Task With_PolicyReports_on_and_no_CRD_one_line_is_logged_and_drift_is_still_reported()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        stub.PolicyReportCrd = false;
        var settings = Settings(stub.WriteKubeconfig(_work.Path), "guard-a");
        settings["Drift:PolicyReports"] = "true";
        await using var host = await GuardHost.StartAsync(_repository.Path, settings);
        await WaitForDriftAsync(host, r => DriftFixtures.Items(r).SequenceEqual(ClusterDrift));

        stub.Apply(DriftFixtures.DbRestored());
        var report = await WaitForDriftAsync(host, r => DriftFixtures.Items(r).Count == 2);
        await Eventually(() => stub.KubeEvents.Count == 4, "no Events");

        Assert.Equal([ClusterDrift[1], ClusterDrift[2]], DriftFixtures.Items(report));
        Assert.Single(host.Logs.Events, e => e.MessageTemplate.Text.StartsWith("{Setting} is on, but the API server does not serve", StringComparison.Ordinal));
        Assert.Equal(1, stub.Requests.Count(r => r.StartsWith("GET /apis/wgpolicyk8s.io/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task PolicyReports_without_the_scanner_stop_start_up_naming_both_settings()
    {
        var settings = new Dictionary<string, string?> { ["Drift:PolicyReports"] = "true" };

        var error = await Assert.ThrowsAsync<AdmissionGuard.Hosting.InvalidSettingsException>(() => GuardHost.StartAsync(_repository.Path, settings));

        Assert.Equal("AdmissionGuard:Drift:PolicyReports: needs the drift scanner (AdmissionGuard:Drift:Enabled=true)", Assert.Single(error.Problems));
    }

    public static TheoryData<string, string, string> StartUpProblems => new()
    {
        { "Enabled", "yes", "AdmissionGuard:Drift:Enabled: \"yes\" is not true or false" },
        {
            "Enabled", "true",
            "AdmissionGuard:Drift: the drift scanner needs the Kubernetes API: not running in a Kubernetes pod: set AdmissionGuard:Drift:Kubeconfig, or turn the scanner off (AdmissionGuard:Drift:Enabled=false)"
        },
        { "Kubeconfig", "/nonexistent/kubeconfig", "AdmissionGuard:Drift: the drift scanner needs the Kubernetes API: kubeconfig not found: /nonexistent/kubeconfig" },
        { "Context", "prod", "AdmissionGuard:Drift: the drift scanner needs the Kubernetes API: a context needs a kubeconfig file (AdmissionGuard:Drift:Kubeconfig)" },
        { "LeaseName", " ", "AdmissionGuard:Drift:LeaseName: must not be empty" },
        { "PolicyReports", "yes", "AdmissionGuard:Drift:PolicyReports: \"yes\" is not true or false" },
    };

    [Theory]
    [MemberData(nameof(StartUpProblems))]
    public async Task Unusable_scanner_settings_stop_start_up_naming_the_setting(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?> { ["Drift:Enabled"] = "true", [$"Drift:{key}"] = value };

        var error = await Assert.ThrowsAsync<AdmissionGuard.Hosting.InvalidSettingsException>(() => GuardHost.StartAsync(_repository.Path, settings));

        Assert.Equal(expected, Assert.Single(error.Problems));
    }

    public void Dispose()
    {
        _repository.Dispose();
        _work.Dispose();
    }

    private Task<GuardHost> StartAsync(KubernetesApiStub stub, string identity) =>
        GuardHost.StartAsync(_repository.Path, Settings(stub.WriteKubeconfig(_work.Path), identity));

    private static Dictionary<string, string?> Settings(string kubeconfig, string identity) => new()
    {
        ["Drift:Enabled"] = "true",
        ["Drift:Kubeconfig"] = kubeconfig,
        ["Drift:Identity"] = identity,
        ["Drift:Namespace"] = "admissionguard",
    };

    private static Task<JsonNode> WaitForDriftAsync(GuardHost host, Func<JsonNode, bool> until) =>
        WaitForDriftAnswerAsync(host, HttpStatusCode.OK, until);

    private static Task<JsonNode> WaitForUnavailableAsync(GuardHost host, Func<JsonNode, bool> until) =>
        WaitForDriftAnswerAsync(host, HttpStatusCode.ServiceUnavailable, until);

    /// <summary>Polls <c>/drift</c> until it answers <paramref name="status"/> with a body that <paramref name="until"/> accepts.</summary>
    private static async Task<JsonNode> WaitForDriftAnswerAsync(GuardHost host, HttpStatusCode status, Func<JsonNode, bool> until)
    {
        var last = "";
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await host.Ops.GetAsync("/drift");
            var body = await response.Content.ReadAsStringAsync();
            last = $"{(int)response.StatusCode} {body}";
            if (response.StatusCode == status && JsonNode.Parse(body) is { } answer && until(answer))
            {
                return answer;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no such {(int)status} from /drift; last answer: {last}");
    }

    private static async Task Eventually(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(failure);
            }

            await Task.Delay(50);
        }
    }

    private static JsonNode Item(JsonNode report, string ns, string name) =>
        report["items"]!.AsArray().Single(i => i!["namespace"]!.GetValue<string>() == ns && i["name"]!.GetValue<string>() == name)!;

    /// <summary>The policies named by the log events whose message starts with <paramref name="prefix"/>, sorted.</summary>
    private static List<string> Logged(GuardHost host, string prefix) =>
        [.. host.Logs.Events
            .Where(e => e.MessageTemplate.Text.StartsWith(prefix, StringComparison.Ordinal))
            .Select(e => CollectingSink.Scalar(e, "Policy") as string ?? $"{CollectingSink.Scalar(e, "Namespace")}/{CollectingSink.Scalar(e, "Name")}")
            .Order(StringComparer.Ordinal)];
}
