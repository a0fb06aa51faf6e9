using System.Text.Json.Nodes;
using AdmissionGuard.Tests.Server;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Sources;

/// <summary>The server with a rendered source: what a deny names, what /status lists, and a restart that renders nothing.</summary>
public sealed class RenderedServerTests
{
    private static Dictionary<string, string> Files() => new()
    {
        ["apps/base/default.yaml"] = GitOpsRepository.DefaultNamespace,
        ["apps/base/kustomization.yaml"] = "resources: [default.yaml]\n",
        ["apps/overlays/prod/kustomization.yaml"] = "resources: [../../base]\n",
    };

    private static Dictionary<string, string?> Sources(string? cache = null) => new()
    {
        ["Git:Sources:0:Path"] = "apps/overlays/prod",
        ["Git:CacheDirectory"] = cache,
    };

    [SkippableFact]
    public async Task A_widened_rendered_policy_is_denied_naming_the_base_file_via_the_overlay()
    {
        Prerequisite.Command("kubectl", "rendered sources are built with kubectl kustomize when kustomize is not installed");
        using var repository = new GitRepository();
        var commit = repository.Commit(Files());
        await using var host = await GuardHost.StartAsync(repository.Path, Sources().Where(s => s.Value is not null).ToDictionary());

        var status = await host.WaitForCommitAsync(commit);
        var widened = await host.ReviewAsync(Reviews.Load("create").WithSpec("""{"podSelector":{},"ingress":[{}],"policyTypes":["Ingress"]}"""));

        var message = widened["status"]!["message"]!.GetValue<string>();
        Assert.False(widened["allowed"]!.GetValue<bool>());
        Assert.True(message.Contains($"NetworkPolicy default/allow-np differs from Git (apps/base/default.yaml via apps/overlays/prod@{commit[..7]}):", StringComparison.Ordinal), message);
        Assert.Contains("Fix: change apps/base/default.yaml in Git", message, StringComparison.Ordinal);
        var source = Assert.Single(status["sources"]!.AsArray())!;
        Assert.Equal(("apps/overlays/prod", "configured", "kustomize", 2), (source["path"]!.GetValue<string>(), source["foundBy"]!.GetValue<string>(), source["render"]!.GetValue<string>(), source["policies"]!.GetValue<int>()));
        Assert.Equal("names", source["provenance"]!.GetValue<string>());
        Assert.True(source["renderSeconds"]!.GetValue<double>() > 0);
        var metrics = await host.Ops.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(2, MetricsTests.Value(metrics, "admissionguard_source_policies{source=\"apps/overlays/prod\"}"));
        Assert.True(MetricsTests.Value(metrics, "admissionguard_source_render_seconds{source=\"apps/overlays/prod\"}") > 0);
    }

    [SkippableFact]
    public async Task A_render_that_fails_is_counted_for_its_source_and_named_in_status()
    {
        Prerequisite.Command("kubectl", "rendered sources are built with kubectl kustomize when kustomize is not installed");
        using var repository = new GitRepository();
        var files = Files();
        files["apps/overlays/prod/kustomization.yaml"] = "resources: [../../base, https://example.com/remote.yaml]\n";
        var commit = repository.Commit(files);
        await using var host = await GuardHost.StartAsync(repository.Path, Sources().Where(s => s.Value is not null).ToDictionary());

        var status = await host.WaitForErrorAsync();

        Assert.Equal(commit, status["lastError"]!["commit"]!.GetValue<string>());
        Assert.Equal("apps/overlays/prod/kustomization.yaml", status["lastError"]!["path"]!.GetValue<string>());
        Assert.StartsWith("apps/overlays/prod/kustomization.yaml: resources: \"https://example.com/remote.yaml\" is remote", status["lastError"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var metrics = await host.Ops.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(1, MetricsTests.Value(metrics, "admissionguard_source_render_failures_total{source=\"apps/overlays/prod\"}"));
    }

    [SkippableFact]
    public async Task A_restart_without_Git_enforces_the_persisted_render_without_running_kustomize()
    {
        Prerequisite.Command("kubectl", "rendered sources are built with kubectl kustomize when kustomize is not installed");
        using var repository = new GitRepository();
        using var cache = new TempDirectory();
        var commit = repository.Commit(Files());
        await using (var first = await GuardHost.StartAsync(repository.Path, Sources(cache.Path)))
        {
            await first.WaitForCommitAsync(commit);
        }

        // Git unreachable (the repository moved away), and a kustomize that fails if it is ever run.
        var settings = Sources(cache.Path);
        settings["Git:Kustomize:Command"] = "/bin/false";
        Directory.Move(repository.Path, repository.Path + "-moved");
        JsonObject status, review, widened;
        try
        {
            await using var restarted = await GuardHost.StartAsync(repository.Path, settings);
            status = await restarted.WaitForCommitAsync(commit);
            review = await restarted.ReviewAsync(Reviews.Load("create"));
            widened = await restarted.ReviewAsync(Reviews.Load("create").WithSpec("""{"podSelector":{},"ingress":[{}],"policyTypes":["Ingress"]}"""));
        }
        finally
        {
            Directory.Move(repository.Path + "-moved", repository.Path);
        }

        Assert.Equal("persisted", status["source"]!.GetValue<string>());
        Assert.Equal(2, Assert.Single(status["sources"]!.AsArray())!["policies"]!.GetValue<int>());
        Assert.True(review["allowed"]!.GetValue<bool>());
        Assert.Contains($"(apps/base/default.yaml via apps/overlays/prod@{commit[..7]})", widened["status"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
