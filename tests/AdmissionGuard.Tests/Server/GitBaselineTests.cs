using System.Net;
using System.Security.Cryptography;
using System.Text;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Server;

/// <summary>The baseline follows a repository served by a real git daemon, and survives bad commits and outages.</summary>
public sealed class GitBaselineTests
{
    private const string Port8080Spec = """{"podSelector":{},"ingress":[{"ports":[{"protocol":"TCP","port":8080}]}],"policyTypes":["Ingress"]}""";

    private static Dictionary<string, string> Port8080 => new()
    {
        ["apps/default.yaml"] = GitOpsRepository.DefaultNamespace.Replace("port: 80", "port: 8080", StringComparison.Ordinal),
    };

    [SkippableFact]
    public async Task A_repository_cloned_over_git_protocol_is_enforced_and_a_new_commit_is_picked_up_by_the_interval()
    {
        using var repository = new GitRepository();
        var first = repository.Commit(GitOpsRepository.Files());
        using var daemon = new GitDaemon(repository.Path);
        await using var host = await GuardHost.StartAsync(daemon.Url, new Dictionary<string, string?> { ["Git:RefreshInterval"] = "1s" });

        var status = await host.WaitForCommitAsync(first);
        var second = repository.Commit(Port8080);
        await host.WaitForCommitAsync(second);
        var response = await host.ReviewAsync(Reviews.Load("create").WithSpec(Port8080Spec));

        Assert.Equal(daemon.Url, status["repository"]!.GetValue<string>());
        Assert.True(response["allowed"]!.GetValue<bool>());
    }

    [SkippableFact]
    public async Task A_push_hook_refreshes_at_once_and_a_wrong_signature_is_refused()
    {
        using var repository = new GitRepository();
        var first = repository.Commit(GitOpsRepository.Files());
        using var daemon = new GitDaemon(repository.Path);
        await using var host = await GuardHost.StartAsync(daemon.Url, new Dictionary<string, string?>
        {
            ["Git:RefreshInterval"] = "1h",
            ["Git:WebhookSecret"] = "s3cret",
        });
        await host.WaitForCommitAsync(first);
        var second = repository.Commit(Port8080);
        var body = """{"ref":"refs/heads/main"}""";

        using var unsigned = await host.Ops.PostAsync("/refresh", new StringContent(body));
        using var wrong = await host.Ops.SendAsync(Signed(body, "not-the-secret"));
        var stillFirst = await host.StatusAsync();
        using var signed = await host.Ops.SendAsync(Signed(body, "s3cret"));
        await host.WaitForCommitAsync(second);

        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(first, stillFirst["commit"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Accepted, signed.StatusCode);
    }

    [SkippableTheory]
    [InlineData("broken YAML", "apps/default.yaml", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-np\nspec: {}\n", "apps/default.yaml")]
    [InlineData("a second declaration", "apps/copy.yaml", GitOpsRepository.DefaultNamespace, "declared twice")]
    public async Task A_bad_commit_is_rejected_whole_and_the_previous_baseline_keeps_enforcing(string because, string path, string content, string expectedError)
    {
        using var repository = new GitRepository();
        var good = repository.Commit(GitOpsRepository.Files());
        using var daemon = new GitDaemon(repository.Path);
        await using var host = await GuardHost.StartAsync(daemon.Url, new Dictionary<string, string?> { ["Git:RefreshInterval"] = "1s" });
        await host.WaitForCommitAsync(good);

        var bad = repository.Commit(new Dictionary<string, string> { [path] = content }, because);
        var status = await host.WaitForErrorAsync();
        var denied = await host.ReviewAsync(Reviews.Load("create").WithSpec(Port8080Spec));

        Assert.Equal(good, status["commit"]!.GetValue<string>());
        Assert.Equal(bad, status["lastError"]!["commit"]!.GetValue<string>());
        Assert.Contains(expectedError, status["lastError"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(status["lastFailureAt"]);
        Assert.True(status["consecutiveFailures"]!.GetValue<int>() >= 1);
        Assert.False(denied["allowed"]!.GetValue<bool>());
        Assert.Contains($"@{good[..7]}", denied["status"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task After_a_restart_with_git_down_the_persisted_baseline_is_enforced_at_once()
    {
        using var repository = new GitRepository();
        using var cache = new TempDirectory();
        var commit = repository.Commit(GitOpsRepository.Files());
        using var daemon = new GitDaemon(repository.Path);
        var settings = new Dictionary<string, string?> { ["Git:CacheDirectory"] = cache.Path, ["Git:RefreshInterval"] = "1h" };
        await using (var first = await GuardHost.StartAsync(daemon.Url, settings))
        {
            await first.WaitForCommitAsync(commit);
        }

        daemon.Stop();
        await using var restarted = await GuardHost.StartAsync(daemon.Url, settings);
        var status = await restarted.WaitForCommitAsync(commit);
        var equal = await restarted.ReviewAsync(Reviews.Load("create"));
        var changed = await restarted.ReviewAsync(Reviews.Load("create").WithSpec(Port8080Spec));
        var failing = await restarted.WaitForErrorAsync();
        var metrics = await restarted.Ops.GetStringAsync("/metrics");

        Assert.Equal("persisted", status["source"]!.GetValue<string>());
        Assert.True(equal["allowed"]!.GetValue<bool>());
        Assert.False(changed["allowed"]!.GetValue<bool>());
        Assert.Equal("persisted", failing["source"]!.GetValue<string>());
        Assert.Equal(commit, failing["commit"]!.GetValue<string>());
        Assert.False(MetricsTests.Exported(metrics, "admissionguard_baseline_last_success_timestamp_seconds"));
        Assert.True(MetricsTests.Value(metrics, "admissionguard_baseline_consecutive_failures") >= 1);
    }

    private static HttpRequestMessage Signed(string body, string secret)
    {
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));
        var request = new HttpRequestMessage(HttpMethod.Post, "/refresh") { Content = new StringContent(body) };
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + signature);
        return request;
    }
}
