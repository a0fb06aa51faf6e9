using AdmissionGuard.Git;

namespace AdmissionGuard.Benchmarks;

/// <summary>
/// A cold start's read of a commit, without the fetch: the files of the ref's commit read from the cached clone and
/// parsed into a baseline, timed by <see cref="TimedRuns"/>, with the managed heap the baseline keeps. Read as a new
/// pod reads its first commit: without the served-spec digests, which it makes once that baseline is in force.
/// </summary>
internal static class ColdRead
{
    public static int Run(string cache, string repository, int runs)
    {
        var settings = new GitSettings { Repository = repository, CacheDirectory = cache };
        var commit = new GitBaselineSource(settings, TimeProvider.System).Fetch(CancellationToken.None);
        return TimedRuns.Run(runs, () => Read(settings, commit), read => $"{read.Files} files, {read.Baseline.Count} policies read and parsed");
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (int Files, Core.Baseline Baseline) Read(GitSettings settings, string commit)
    {
        using var repo = new GitRepositoryCache(settings).Open();
        var loaded = BaselineLoader.ReadAndLoad(repo, commit, settings, DateTimeOffset.UtcNow, withoutDigests: true);
        return (loaded.Files.Count, loaded.Baseline);
    }
}
