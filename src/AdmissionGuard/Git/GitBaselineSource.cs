using AdmissionGuard.Core;

namespace AdmissionGuard.Git;

/// <summary>Fetches the repository and builds the baseline of the configured ref.</summary>
internal static class GitBaselineSource
{
    /// <param name="current">The baseline in force: returned as it is when the ref still points at its commit.</param>
    public static Baseline Load(GitRepositoryCache cache, GitSettings settings, DateTimeOffset now, Baseline? current = null) =>
        LoadCommit(cache, settings, now, current, out _);

    public static Baseline LoadCommit(GitRepositoryCache cache, GitSettings settings, DateTimeOffset now, Baseline? current, out string commit)
    {
        commit = cache.FetchAndResolve();
        if (current?.Commit == commit)
        {
            return current;
        }

        using var repo = cache.Open();
        return BaselineLoader.Load(repo, commit, settings, now);
    }
}
