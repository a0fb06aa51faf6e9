using AdmissionGuard.Tests.Support;
using Serilog.Events;

namespace AdmissionGuard.Tests.Server;

/// <summary>HTTP authentication to Git with a token file, against git's own smart HTTP backend; the token never shows.</summary>
public sealed class GitCredentialsTests
{
    private const string Token = "tok-3f9a1c7e5b2d4680";

    [SkippableFact]
    public async Task The_token_file_authenticates_the_fetch_and_never_appears_in_logs_or_status()
    {
        using var repository = new GitRepository();
        using var secrets = new TempDirectory();
        var commit = repository.Commit(GitOpsRepository.Files());
        File.WriteAllText(secrets.Combine("token"), Token + "\n");
        await using var git = await SmartHttpGitServer.StartAsync(Path.GetDirectoryName(repository.Path)!, "gitops-reader", Token);
        await using var host = await GuardHost.StartAsync($"{git.BaseUrl}/{Path.GetFileName(repository.Path)}", new Dictionary<string, string?>
        {
            ["Git:Username"] = "gitops-reader",
            ["Git:TokenFile"] = secrets.Combine("token"),
        });

        var status = await host.WaitForCommitAsync(commit);

        Assert.True(git.Requests > git.Unauthorized, "the backend served the fetch");
        Assert.DoesNotContain(Token, status.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(host.Logs.Events, e => Rendered(e).Contains(Token, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Credentials_in_the_repository_url_are_redacted_and_a_wrong_token_is_reported_without_it()
    {
        using var repository = new GitRepository();
        repository.Commit(GitOpsRepository.Files());
        await using var git = await SmartHttpGitServer.StartAsync(Path.GetDirectoryName(repository.Path)!, "gitops-reader", "the-right-token");
        var url = $"{git.BaseUrl.Replace("http://", $"http://gitops-reader:{Token}@", StringComparison.Ordinal)}/{Path.GetFileName(repository.Path)}";
        await using var host = await GuardHost.StartAsync(url);

        var status = await host.WaitForErrorAsync();

        Assert.Null(status["commit"]);
        Assert.StartsWith("http://***@127.0.0.1:", status["repository"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(Token, status.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(host.Logs.Events, e => Rendered(e).Contains(Token, StringComparison.Ordinal));
        Assert.True(git.Unauthorized > 0);
    }

    [SkippableFact]
    public async Task Credentials_in_the_repository_url_authenticate_the_fetch_and_are_not_stored_in_the_cache()
    {
        using var repository = new GitRepository();
        using var cache = new TempDirectory();
        var commit = repository.Commit(GitOpsRepository.Files());
        await using var git = await SmartHttpGitServer.StartAsync(Path.GetDirectoryName(repository.Path)!, "gitops-reader", Token);
        var url = $"{git.BaseUrl.Replace("http://", $"http://gitops-reader:{Token}@", StringComparison.Ordinal)}/{Path.GetFileName(repository.Path)}";
        var host = await GuardHost.StartAsync(url, new Dictionary<string, string?> { ["Git:CacheDirectory"] = cache.Path });
        try
        {
            await host.WaitForCommitAsync(commit);
        }
        finally
        {
            // Stopped before the cache is read: the last good baseline is persisted just after it is put in force.
            await host.DisposeAsync();
        }

        var config = Assert.Single(Directory.GetFiles(cache.Path, "config", SearchOption.AllDirectories));
        Assert.Contains($"url = {git.BaseUrl}/{Path.GetFileName(repository.Path)}", File.ReadAllText(config), StringComparison.Ordinal);
        var holding = Directory.EnumerateFiles(cache.Path, "*", SearchOption.AllDirectories)
            .Where(file => File.ReadAllText(file).Contains(Token, StringComparison.Ordinal));
        Assert.Empty(holding);
    }

    private static string Rendered(LogEvent logEvent)
    {
        using var writer = new StringWriter();
        new Serilog.Formatting.Compact.CompactJsonFormatter().Format(logEvent, writer);
        return writer.ToString();
    }
}
