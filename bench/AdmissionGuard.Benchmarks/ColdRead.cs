using System.Diagnostics;
using AdmissionGuard.Git;

namespace AdmissionGuard.Benchmarks;

/// <summary>
/// A cold start's read of a commit, without the fetch: the files of the ref's commit read from the cached clone (the
/// blobs decoded), then parsed into a baseline, each timed, with the managed heap the baseline keeps.
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
            var (files, baseline, read, parsed) = Read(settings, commit);
            var kept = GC.GetTotalMemory(forceFullCollection: true) - before;
            Console.WriteLine(
                $"run {run}: {files} files read in {read.TotalMilliseconds:0} ms, {baseline.Count} policies parsed in {parsed.TotalMilliseconds:0} ms; " +
                $"heap kept {kept / 1024 / 1024} MiB; peak resident {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024} MiB");
            GC.KeepAlive(baseline);
        }

        return 0;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (int Files, Core.Baseline Baseline, TimeSpan Read, TimeSpan Parsed) Read(GitSettings settings, string commit)
    {
        var started = Stopwatch.GetTimestamp();
        using var repo = new GitRepositoryCache(settings).Open();
        var files = BaselineLoader.ReadFiles(repo, commit, settings);
        var read = Stopwatch.GetElapsedTime(started);
        if (Environment.GetEnvironmentVariable("SEQUENTIAL_SAMPLE") is { } sampleText)
        {
            var sample = int.Parse(sampleText, System.Globalization.CultureInfo.InvariantCulture);
            var t = Stopwatch.GetTimestamp();
            for (var i = 0; i < sample; i++)
            {
                ManifestReader.Read(files[i].Path, files[i].Text, "default");
            }

            Console.WriteLine($"  {sample} files parsed on one thread: {Stopwatch.GetElapsedTime(t).TotalMicroseconds / sample:0} us each");
            if (Environment.GetEnvironmentVariable("SAMPLE_ONLY") is not null)
            {
                Environment.Exit(0);
            }
        }

        var baseline = BaselineLoader.Load(commit, files, [], settings, DateTimeOffset.UtcNow).Baseline;
        return (files.Count, baseline, read, Stopwatch.GetElapsedTime(started) - read);
    }
}
