using System.Text.Json.Nodes;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Server;

/// <summary>Servers with their own settings or their own Git history: Warn mode, no baseline, baselines that change.</summary>
public sealed class ServerModesTests
{
    private const string WiderSpec = """{"podSelector":{},"ingress":[{}],"policyTypes":["Ingress"]}""";

    /// <summary>A guard with these settings on the GitOps repository's files, committed to <paramref name="repository"/>, once they are in force.</summary>
    private static async Task<GuardHost> InForce(GitRepository repository, Dictionary<string, string?> settings)
    {
        var commit = repository.Commit(GitOpsRepository.Files());
        var host = await GuardHost.StartAsync(repository.Path, settings);
        await host.WaitForCommitAsync(commit);
        return host;
    }

    [Fact]
    public async Task Warn_mode_allows_a_would_be_denial_with_the_deny_message_as_warnings()
    {
        using var repository = new GitRepository();
        await using var host = await InForce(repository, new Dictionary<string, string?> { ["Mode"] = "Warn" });

        var response = await host.ReviewAsync(Reviews.Load("create").WithUid("warned").WithSpec(WiderSpec));

        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Null(response["status"]);
        var warnings = response["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).ToList();
        Assert.Contains(warnings, w => w.Contains("spec.ingress: rule from anywhere: was port TCP/80, now all ports", StringComparison.Ordinal));
        Assert.All(warnings, w => Assert.True(w.Length <= 120, w));
        Assert.Equal("warned", CollectingSink.Scalar(host.Logs.Decision("warned")!, "Result"));
    }

    [Fact]
    public async Task A_setting_no_longer_used_is_named_in_a_warning_and_the_server_still_serves()
    {
        using var repository = new GitRepository();
        await using var host = await InForce(repository, new Dictionary<string, string?> { ["LogFlushInterval"] = "50ms" });

        var warning = Assert.Single(host.Logs.Events, e => e.MessageTemplate.Text.Contains("is no longer used", StringComparison.Ordinal));
        Assert.Equal("AdmissionGuard:LogFlushInterval", CollectingSink.Scalar(warning, "Setting"));
        Assert.True((await host.ReviewAsync(Reviews.Load("create").WithUid("served")))["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task With_metadata_compared_a_label_change_is_denied_and_without_it_allowed()
    {
        using var repository = new GitRepository();
        var commit = repository.Commit(GitOpsRepository.Files());
        await using var compared = await GuardHost.StartAsync(repository.Path, new Dictionary<string, string?> { ["CompareMetadata"] = "true" });
        await using var specOnly = await GuardHost.StartAsync(repository.Path);
        await compared.WaitForCommitAsync(commit);
        await specOnly.WaitForCommitAsync(commit);
        var relabelled = Reviews.Load("create");
        ((JsonObject)relabelled.Request()["object"]!["metadata"]!)["labels"] = new JsonObject { ["team"] = "someone-else" };

        var denied = await compared.ReviewAsync(relabelled);
        var allowed = await specOnly.ReviewAsync(relabelled);

        Assert.False(denied["allowed"]!.GetValue<bool>());
        Assert.Contains("metadata.labels", denied["status"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(allowed["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_commit_that_does_not_parse_leaves_no_baseline_and_people_are_denied_but_gitops_is_not()
    {
        using var repository = new GitRepository();
        var commit = repository.Commit(new Dictionary<string, string>
        {
            ["apps/good.yaml"] = GitOpsRepository.DefaultNamespace,
            ["apps/broken.yaml"] = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec:\n  ingress: [\n",
        });
        await using var host = await GuardHost.StartAsync(repository.Path);

        var status = await host.WaitForErrorAsync();
        var person = await host.ReviewAsync(Reviews.Load("create").WithUid("no-baseline-person"));
        var gitops = await host.ReviewAsync(Reviews.Load("create-as-serviceaccount").WithUid("no-baseline-gitops"));

        Assert.Null(status["commit"]);
        Assert.Equal(commit, status["lastError"]!["commit"]!.GetValue<string>());
        Assert.Equal("apps/broken.yaml", status["lastError"]!["path"]!.GetValue<string>());
        Assert.Contains("apps/broken.yaml: document 0", status["lastError"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(person["allowed"]!.GetValue<bool>());
        Assert.Contains("has not loaded its Git baseline", person["status"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(gitops["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Two_documents_declaring_the_same_policy_reject_the_commit_naming_both()
    {
        using var repository = new GitRepository();
        repository.Commit(new Dictionary<string, string>
        {
            ["a.yaml"] = GitOpsRepository.DefaultNamespace,
            ["b/copy.yml"] = GitOpsRepository.DefaultNamespace,
        });
        await using var host = await GuardHost.StartAsync(repository.Path);

        var status = await host.WaitForErrorAsync();

        var message = status["lastError"]!["message"]!.GetValue<string>();
        Assert.Contains("default/allow-np is declared twice: a.yaml: document 0 and b/copy.yml: document 0", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_trusted_write_that_differs_from_the_cache_refreshes_the_baseline_at_once()
    {
        using var repository = new GitRepository();
        var first = repository.Commit(GitOpsRepository.Files());
        await using var host = await GuardHost.StartAsync(repository.Path, new Dictionary<string, string?> { ["Git:RefreshInterval"] = "1h" });
        await host.WaitForCommitAsync(first);
        var second = repository.Commit(new Dictionary<string, string>
        {
            ["apps/default.yaml"] = GitOpsRepository.DefaultNamespace.Replace("port: 80", "port: 8080", StringComparison.Ordinal),
        });

        var review = Reviews.Load("create").WithUid("trusted-ahead")
            .AsUser("system:serviceaccount:argocd:argocd-application-controller", "system:serviceaccounts")
            .WithSpec("""{"podSelector":{},"ingress":[{"ports":[{"protocol":"TCP","port":8080}]}],"policyTypes":["Ingress"]}""");
        var trusted = await host.ReviewAsync(review);
        await host.WaitForCommitAsync(second);
        var person = await host.ReviewAsync(Reviews.Load("create").WithUid("after-refresh")
            .WithSpec("""{"podSelector":{},"ingress":[{"ports":[{"port":8080}]}]}"""));

        Assert.True(trusted["allowed"]!.GetValue<bool>());
        Assert.True(person["allowed"]!.GetValue<bool>());
    }
}
