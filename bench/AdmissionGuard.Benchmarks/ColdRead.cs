using System.Diagnostics;
using AdmissionGuard.Git;

namespace AdmissionGuard.Benchmarks;

/// <summary>
/// A cold start's read of a commit, without the fetch: the files of the ref's commit read from the cached clone and
/// parsed into a baseline, timed, with the managed heap the baseline keeps.
/// </summary>
internal static class ColdRead
{
    public static int Run(string cache, string repository, int runs)
    {
        var settings = new GitSettings { Repository = repository, CacheDirectory = cache };
        var commit = new GitBaselineSource(settings, TimeProvider.System).Fetch(CancellationToken.None);
        for (var run = 1; run <= runs; run++)
        {
            var before = GC.GetTotalMemory(forceFullCollection: true);
            var started = Stopwatch.GetTimestamp();
            var (files, baseline) = Read(settings, commit);
            var elapsed = Stopwatch.GetElapsedTime(started);
            var kept = GC.GetTotalMemory(forceFullCollection: true) - before;
            Console.WriteLine(
                $"run {run}: {files} files, {baseline.Count} policies read and parsed in {elapsed.TotalMilliseconds:0} ms; " +
                $"heap kept {kept / 1024 / 1024} MiB; peak resident {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024} MiB");
            GC.KeepAlive(baseline);
        }

        return 0;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (int Files, Core.Baseline Baseline) Read(GitSettings settings, string commit)
    {
        using var repo = new GitRepositoryCache(settings).Open();
        var loaded = BaselineLoader.ReadAndLoad(repo, commit, settings, DateTimeOffset.UtcNow);
        return (loaded.Files.Count, loaded.Baseline);
    }
}
