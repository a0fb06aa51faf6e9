using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Server;

/// <summary>A restart enforces the persisted baseline at once, and says so again when Git confirms the same commit.</summary>
public sealed class PersistedRestartTests
{
    [Fact]
    public async Task A_restart_says_when_Git_confirms_that_the_persisted_commit_is_still_in_force()
    {
        using var repository = new GitRepository();
        using var cache = new TempDirectory();
        var settings = new Dictionary<string, string?> { ["Git:CacheDirectory"] = cache.Path };
        var commit = await LoadOnceAsync(repository, settings);

        await using var restarted = await GuardHost.StartAsync(repository.Path, settings);
        await restarted.WaitForCommitAsync(commit);

        for (var attempt = 0; attempt < 200 && (await restarted.StatusAsync())["source"]!.GetValue<string>() != "git"; attempt++)
        {
            await Task.Delay(50);
        }

        var messages = restarted.Logs.Events.Select(e => e.RenderMessage()).ToList();
        Assert.Contains(messages, m => m.StartsWith($"Enforcing the persisted baseline \"{commit}\"", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith($"Git answered: \"{commit}\" (\"main\"), the persisted baseline, is still the commit in force", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_restart_without_Git_and_without_the_cached_clone_enforces_the_persisted_policies()
    {
        using var repository = new GitRepository();
        using var cache = new TempDirectory();
        var settings = new Dictionary<string, string?> { ["Git:CacheDirectory"] = cache.Path };
        var commit = await LoadOnceAsync(repository, settings);

        foreach (var clone in Directory.GetDirectories(cache.Path, "repo-*"))
        {
            Directory.Delete(clone, recursive: true);
        }

        Directory.Move(repository.Path, repository.Path + "-away");
        try
        {
            await using var restarted = await GuardHost.StartAsync(repository.Path, settings);
            var status = await restarted.WaitForCommitAsync(commit);
            var equal = await restarted.ReviewAsync(Reviews.Load("create"));
            var widened = await restarted.ReviewAsync(Reviews.Load("create").WithSpec("""{"podSelector":{},"ingress":[{}]}"""));

            Assert.Equal("persisted", status["source"]!.GetValue<string>());
            Assert.True(equal["allowed"]!.GetValue<bool>());
            Assert.False(widened["allowed"]!.GetValue<bool>());
            Assert.Contains($"@{commit[..7]}", widened["status"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Move(repository.Path + "-away", repository.Path);
        }
    }

    [Fact]
    public async Task Saving_a_baseline_removes_those_of_other_settings_and_formats_so_a_rollback_never_enforces_an_old_one()
    {
        using var repository = new GitRepository();
        using var cache = new TempDirectory();
        var old = cache.Combine("baseline-00000000000000aa.json");
        File.WriteAllText(old, "{}");

        var commit = await LoadOnceAsync(repository, new Dictionary<string, string?> { ["Git:CacheDirectory"] = cache.Path });

        Assert.False(File.Exists(old));
        Assert.Contains(commit, File.ReadAllText(Assert.Single(Directory.GetFiles(cache.Path, "baseline-*.json"))), StringComparison.Ordinal);
    }

    /// <summary>Commits the example repository and lets a first server load and persist it, then stops that server.</summary>
    private static async Task<string> LoadOnceAsync(GitRepository repository, Dictionary<string, string?> settings)
    {
        var commit = repository.Commit(GitOpsRepository.Files());
        await using var first = await GuardHost.StartAsync(repository.Path, settings);
        await first.WaitForCommitAsync(commit);
        return commit;
    }
}
