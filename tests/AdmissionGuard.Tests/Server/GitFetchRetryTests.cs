using AdmissionGuard.Git;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Server;

/// <summary>
/// What a fetch retries. The retry delay is set to ten minutes, so a fetch that retries does not end within the
/// test's patience, and one that reports at once does.
/// </summary>
public sealed class GitFetchRetryTests
{
    private static readonly TimeSpan Retry = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task A_wrong_token_is_reported_at_once_not_retried()
    {
        using var repository = new GitRepository();
        using var files = new TempDirectory();
        repository.Commit(GitOpsRepository.Files());
        File.WriteAllText(files.Combine("token"), "not-the-token");
        await using var git = await SmartHttpGitServer.StartAsync(Path.GetDirectoryName(repository.Path)!, "gitops-reader", "the-right-token");
        var settings = new GitSettings
        {
            Repository = $"{git.BaseUrl}/{Path.GetFileName(repository.Path)}",
            CacheDirectory = files.Combine("cache"),
            Username = "gitops-reader",
            TokenFile = files.Combine("token"),
        };

        var error = await FetchFailure(settings);

        Assert.Contains("authentication replays", error.Message, StringComparison.Ordinal);
        Assert.True(git.Unauthorized > 0);
    }

    [SkippableFact]
    public async Task An_untrusted_server_certificate_is_reported_at_once_not_retried()
    {
        using var repository = new GitRepository();
        using var files = new TempDirectory();
        repository.Commit(GitOpsRepository.Files());
        await using var git = await SmartHttpGitServer.StartAsync(
            Path.GetDirectoryName(repository.Path)!, "gitops-reader", "token", (DevCertificates.CertificatePath, DevCertificates.KeyPath));
        var settings = new GitSettings { Repository = $"{git.BaseUrl}/{Path.GetFileName(repository.Path)}", CacheDirectory = files.Combine("cache") };

        var error = await FetchFailure(settings);

        Assert.Contains("the Git server's certificate is not trusted", GitBaselineSource.Describe(error), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_server_certificate_the_CaFile_does_not_vouch_for_is_reported_at_once_not_retried()
    {
        using var repository = new GitRepository();
        using var files = new TempDirectory();
        repository.Commit(GitOpsRepository.Files());
        Processes.Run("bash", RepositoryRoot.Path, Path.Combine("certs-dev", "make-certs.sh"), files.Combine("other"));
        await using var git = await SmartHttpGitServer.StartAsync(
            Path.GetDirectoryName(repository.Path)!, "gitops-reader", "token", (DevCertificates.CertificatePath, DevCertificates.KeyPath));
        var settings = new GitSettings
        {
            Repository = $"{git.BaseUrl}/{Path.GetFileName(repository.Path)}",
            CacheDirectory = files.Combine("cache"),
            CaFile = files.Combine("other", "ca.crt"),
        };

        var error = await FetchFailure(settings);

        Assert.Contains("is trusted neither by this system nor through AdmissionGuard:Git:CaFile", error.Message, StringComparison.Ordinal);
    }

    private static async Task<Exception> FetchFailure(GitSettings settings)
    {
        var source = new GitBaselineSource(settings, TimeProvider.System, firstRetryDelay: Retry);
        using var giveUp = new CancellationTokenSource(Patience);
        var fetch = Task.Run(() => source.Fetch(giveUp.Token));
        var error = await Record.ExceptionAsync(() => fetch);
        Assert.False(giveUp.IsCancellationRequested, "the fetch was retried instead of failing at once");
        return Assert.IsAssignableFrom<LibGit2Sharp.LibGit2SharpException>(error);
    }
}
