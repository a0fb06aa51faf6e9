using System.Text.Json.Nodes;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Server;

/// <summary>
/// A commit whose manifests kubectl would refuse (a misspelt field, bytes that are not UTF-8) is refused whole and
/// the last good baseline stays in force; a <c>status</c> field is enforced but noted in /status.
/// </summary>
public sealed class StrictManifestTests
{
    private const string Misspelt = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: allow-np, namespace: default}
        spce:
          podSelector: {}
        """;

    [Fact]
    public async Task A_commit_with_a_misspelt_field_is_refused_naming_the_line_and_the_last_good_baseline_stays()
    {
        using var repository = new GitRepository();
        var good = repository.Commit(GitOpsRepository.Files());
        await using var host = await GuardHost.StartAsync(repository.Path);
        await host.WaitForCommitAsync(good);

        var bad = repository.Commit(new Dictionary<string, string> { ["apps/default.yaml"] = Misspelt });
        var status = await RefreshUntilRejected(host, bad);

        Assert.Equal(good, status["commit"]!.GetValue<string>());
        Assert.Equal("apps/default.yaml", status["lastError"]!["path"]!.GetValue<string>());
        Assert.Contains(
            "apps/default.yaml: document 0: line 4, column 1: spce: unknown field \"spce\" (did you mean \"spec\"?)",
            status["lastError"]!["message"]!.GetValue<string>(),
            StringComparison.Ordinal);
        Assert.True((await host.ReviewAsync(Reviews.Load("create")))["allowed"]!.GetValue<bool>(), "the good baseline still answers");
    }

    [Fact]
    public async Task A_commit_with_bytes_that_are_not_UTF_8_is_refused_and_the_last_good_baseline_stays()
    {
        using var repository = new GitRepository();
        var good = repository.Commit(GitOpsRepository.Files());
        await using var host = await GuardHost.StartAsync(repository.Path);
        await host.WaitForCommitAsync(good);

        var text = System.Text.Encoding.UTF8.GetBytes(GitOpsRepository.DefaultNamespace.Replace("allow-np", "allow-np-\u00e9", StringComparison.Ordinal));
        var latin1 = text.Where((b, i) => !(b == 0xC3 && text[i + 1] == 0xA9)).Select(b => b == 0xA9 ? (byte)0xE9 : b).ToArray();
        File.WriteAllBytes(Path.Combine(repository.Path, "apps", "default.yaml"), latin1);
        var bad = repository.Commit(new Dictionary<string, string>());
        var status = await RefreshUntilRejected(host, bad);

        Assert.Equal(good, status["commit"]!.GetValue<string>());
        Assert.Contains(
            $"apps/default.yaml: not valid UTF-8 at byte {Array.IndexOf(latin1, (byte)0xE9)}: save it as UTF-8, as kubectl requires",
            status["lastError"]!["message"]!.GetValue<string>(),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_status_field_is_enforced_and_named_in_status_notices()
    {
        using var repository = new GitRepository();
        var commit = repository.Commit(new Dictionary<string, string>
        {
            ["apps/default.yaml"] = GitOpsRepository.DefaultNamespace.Replace("\n---\n# Not a NetworkPolicy", "\nstatus: {}\n---\n# Not a NetworkPolicy", StringComparison.Ordinal),
        });
        await using var host = await GuardHost.StartAsync(repository.Path);

        var status = await host.WaitForCommitAsync(commit);

        var notice = Assert.Single(status["notices"]!.AsArray())!.GetValue<string>();
        Assert.StartsWith("apps/default.yaml: document 0: status: API servers from Kubernetes 1.28 refuse this field", notice, StringComparison.Ordinal);
        Assert.Equal(2, status["objectCount"]!.GetValue<int>());
        Assert.True((await host.ReviewAsync(Reviews.Load("create")))["allowed"]!.GetValue<bool>());
    }

    private static async Task<JsonObject> RefreshUntilRejected(GuardHost host, string commit)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            using (await host.Ops.PostAsync(new Uri("/refresh", UriKind.Relative), null))
            {
            }

            var status = await host.StatusAsync();
            if (status["lastError"]?["commit"]?.GetValue<string>() == commit)
            {
                return status;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"commit {commit} was not rejected");
    }
}
