using System.Globalization;
using System.Text;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Server;

/// <summary>/metrics on the ops listener counts what the server really did.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_count_decisions_bad_requests_and_show_the_baseline()
    {
        using var repository = new GitRepository();
        var commit = repository.Commit(GitOpsRepository.Files());
        var started = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await using var host = await GuardHost.StartAsync(repository.Path);
        await host.WaitForCommitAsync(commit);

        await host.ReviewAsync(Reviews.Load("create"));
        await host.ReviewAsync(Reviews.Load("create"));
        await host.ReviewAsync(Reviews.Load("create").WithSpec("""{"podSelector":{}}"""));
        await host.ReviewAsync(Reviews.Load("delete"));
        using var bad = await host.PostAsync("not json");
        var metrics = await host.Ops.GetStringAsync("/metrics");
        using var onWebhook = await host.Webhook.GetAsync("/metrics");
        var status = await host.StatusAsync();
        using var serving = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(DevCertificates.CertificatePath);

        Assert.Equal(2, Value(metrics, """admissionguard_decisions_total{operation="CREATE",result="allowed",mode="Enforce"}"""));
        Assert.Equal(1, Value(metrics, """admissionguard_decisions_total{operation="CREATE",result="denied",mode="Enforce"}"""));
        Assert.Equal(1, Value(metrics, """admissionguard_decisions_total{operation="DELETE",result="denied",mode="Enforce"}"""));
        Assert.Equal(0, Value(metrics, """admissionguard_decisions_total{operation="UPDATE",result="allowed",mode="Enforce"}"""));
        Assert.Equal(1, Value(metrics, "admissionguard_bad_requests_total"));
        Assert.Equal(4, Value(metrics, "admissionguard_validate_duration_seconds_count"));
        Assert.Equal(1, Value(metrics, $$"""admissionguard_baseline_info{commit="{{commit}}",ref="main",source="git"}"""));
        Assert.Equal(2, Value(metrics, "admissionguard_baseline_objects"));
        Assert.True(Value(metrics, """admissionguard_baseline_refresh_total{result="success"}""") >= 1);
        Assert.Equal(
            status["lastSuccessAt"]!.GetValue<DateTimeOffset>().ToUnixTimeMilliseconds() / 1000.0,
            Value(metrics, "admissionguard_baseline_last_success_timestamp_seconds"));
        Assert.InRange(Value(metrics, "admissionguard_baseline_last_success_timestamp_seconds"), started, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal(
            new DateTimeOffset(serving.NotAfter.ToUniversalTime(), TimeSpan.Zero).ToUnixTimeSeconds(),
            Value(metrics, "admissionguard_serving_certificate_expiry_timestamp_seconds"));
        Assert.False(Exported(metrics, "admissionguard_drift_reporting"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, onWebhook.StatusCode);
    }

    [Fact]
    public async Task Fetching_the_same_commit_again_moves_the_last_success_but_not_the_time_the_baseline_was_loaded()
    {
        using var repository = new GitRepository();
        var commit = repository.Commit(GitOpsRepository.Files());
        await using var host = await GuardHost.StartAsync(repository.Path, new Dictionary<string, string?> { ["Git:RefreshInterval"] = "1s" });
        var loaded = await host.WaitForCommitAsync(commit);
        var first = Value(await host.Ops.GetStringAsync("/metrics"), "admissionguard_baseline_last_success_timestamp_seconds");

        var later = first;
        for (var attempt = 0; attempt < 100 && later <= first; attempt++)
        {
            await Task.Delay(100);
            later = Value(await host.Ops.GetStringAsync("/metrics"), "admissionguard_baseline_last_success_timestamp_seconds");
        }

        var status = await host.StatusAsync();

        Assert.True(later > first, "no second successful refresh within 10 s");
        Assert.Equal(commit, status["commit"]!.GetValue<string>());
        Assert.Equal(loaded["loadedAt"]!.GetValue<DateTimeOffset>(), status["loadedAt"]!.GetValue<DateTimeOffset>());
        Assert.True(status["lastSuccessAt"]!.GetValue<DateTimeOffset>().ToUnixTimeMilliseconds() / 1000.0 >= later);
    }

    [Fact]
    public async Task The_audit_event_and_the_latency_exemplar_carry_the_trace_id_of_a_traceparent_header()
    {
        using var repository = new GitRepository();
        var commit = repository.Commit(GitOpsRepository.Files());
        await using var host = await GuardHost.StartAsync(repository.Path);
        await host.WaitForCommitAsync(commit);
        async Task Traced(string uid, string traceparent)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/validate?timeout=5s")
            {
                Content = new StringContent(Reviews.Load("create").WithUid(uid).ToJsonString(), Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("traceparent", traceparent);
            using var response = await host.Webhook.SendAsync(request);
        }

        await Traced("traced", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        await Traced("zero-trace", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"); // invalid in W3C Trace Context
        await Traced("zero-span", "00-5bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"); // so is an all-zero parent id
        await Traced("upper-case", "00-6BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"); // and upper-case hex
        await host.ReviewAsync(Reviews.Load("create").WithUid("untraced"));

        using var scrape = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        scrape.Headers.Accept.ParseAdd("application/openmetrics-text; version=1.0.0");
        using var metrics = await host.Ops.SendAsync(scrape);
        var exposition = await metrics.Content.ReadAsStringAsync();

        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", CollectingSink.Scalar(host.Logs.Decision("traced")!, "RequestId"));
        Assert.Equal("untraced", CollectingSink.Scalar(host.Logs.Decision("untraced")!, "RequestId"));
        Assert.Equal("zero-trace", CollectingSink.Scalar(host.Logs.Decision("zero-trace")!, "RequestId"));
        Assert.Equal("zero-span", CollectingSink.Scalar(host.Logs.Decision("zero-span")!, "RequestId"));
        Assert.Equal("upper-case", CollectingSink.Scalar(host.Logs.Decision("upper-case")!, "RequestId"));
        Assert.DoesNotContain("trace_id=\"00000000000000000000000000000000\"", exposition, StringComparison.Ordinal);
        Assert.Contains(
            exposition.Split('\n'),
            line => line.StartsWith("admissionguard_validate_duration_seconds_bucket", StringComparison.Ordinal)
                && line.Contains("# {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_decision_event_carries_its_own_fields_and_not_the_hosting_layers_request_scope()
    {
        using var repository = new GitRepository();
        var commit = repository.Commit(GitOpsRepository.Files());
        await using var host = await GuardHost.StartAsync(repository.Path);
        await host.WaitForCommitAsync(commit);

        await host.ReviewAsync(Reviews.Load("create").WithUid("scoped"));

        var decision = host.Logs.Decision("scoped")!;
        Assert.Equal("scoped", CollectingSink.Scalar(decision, "RequestId"));
        Assert.Equal("allowed", CollectingSink.Scalar(decision, "Result"));
        Assert.DoesNotContain("RequestPath", decision.Properties.Keys);
    }

    [Theory]
    [InlineData("grafana/admissionguard-dashboard.json")]
    [InlineData("components/alerts/prometheusrule.yaml")]
    public async Task Every_series_the_dashboard_and_the_alert_rules_query_is_exported(string file)
    {
        using var repository = new GitRepository();
        var commit = repository.Commit(GitOpsRepository.Files());
        await using var host = await GuardHost.StartAsync(repository.Path);
        await host.WaitForCommitAsync(commit);
        await host.ReviewAsync(Reviews.Load("create"));
        var exported = (await host.Ops.GetStringAsync("/metrics")).Split('\n')
            .Where(line => line.Length > 0 && line[0] != '#')
            .Select(line => line.Split('{', ' ')[0])
            .ToHashSet(StringComparer.Ordinal);
        var queries = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "deploy", file));

        var queried = System.Text.RegularExpressions.Regex.Matches(queries, @"\b(admissionguard_[a-z_]+|process_[a-z_]+)")
            .Select(m => m.Value).ToHashSet(StringComparer.Ordinal);

        // Drift series come only with the drift scanner on (admissionguard_drift_items only from the replica that
        // reports); the scanner tests check them.
        queried.RemoveWhere(name => name.StartsWith("admissionguard_drift_", StringComparison.Ordinal));

        Assert.NotEmpty(queried);
        Assert.All(queried, name => Assert.Contains(name, exported));
    }

    /// <summary>Whether a sample of <paramref name="series"/> (exactly, labels included) is exported; HELP and TYPE lines do not count.</summary>
    internal static bool Exported(string exposition, string series) =>
        exposition.Split('\n').Any(l => l.StartsWith(series + " ", StringComparison.Ordinal) || l.StartsWith(series + "{", StringComparison.Ordinal));

    internal static double Value(string exposition, string series)
    {
        var line = exposition.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"{series} not in /metrics:\n{exposition}");
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
