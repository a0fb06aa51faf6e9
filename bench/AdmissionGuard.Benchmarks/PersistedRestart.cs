using AdmissionGuard.Git;

namespace AdmissionGuard.Benchmarks;

/// <summary>
/// A restart's read of the persisted baseline alone, in a guard's cache folder (after bench/scale.sh with KEEP_WORK=1, or a
/// serve), timed by <see cref="TimedRuns"/>; the heap it keeps is the baseline's and what the next commit reuses.
/// </summary>
internal static class PersistedRestart
{
    public static int Run(string cache, string repository, int runs)
    {
        var persisted = new PersistedBaseline(new GitSettings { Repository = repository, CacheDirectory = cache });
        AdoptGuardsFile(persisted);
        var size = new FileInfo(persisted.FilePath).Exists ? new FileInfo(persisted.FilePath).Length / 1024 / 1024 : 0;
        return TimedRuns.Run(runs, () => Load(persisted), kept => $"{kept.Baseline.Count} policies from {size} MiB");
    }

    /// <summary>
    /// The file's name holds the build that wrote it, and this harness is another build than the published guard: the
    /// one file a guard left in the folder is copied to this build's name (same format, same settings).
    /// </summary>
    private static void AdoptGuardsFile(PersistedBaseline persisted)
    {
        var folder = Path.GetDirectoryName(persisted.FilePath)!;
        if (!File.Exists(persisted.FilePath) && Directory.Exists(folder) && Directory.GetFiles(folder, "baseline-*.json") is [var written])
        {
            File.Copy(written, persisted.FilePath);
            Console.WriteLine($"reading {Path.GetFileName(written)}, the guard's, as {Path.GetFileName(persisted.FilePath)}");
        }
    }

    /// <summary>The baseline and what the next commit reuses: the rest of what the load returned is gone once this frame is, as in the guard.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (Core.Baseline Baseline, ParsedManifests Reused) Load(PersistedBaseline persisted)
    {
        var reused = new ParsedManifests();
        var baseline = persisted.Load(DateTimeOffset.UtcNow, reused)?.Baseline ?? throw new InvalidOperationException($"no persisted baseline {persisted.FilePath}");
        return (baseline, reused);
    }
}
