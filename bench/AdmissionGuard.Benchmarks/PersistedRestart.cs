using System.Diagnostics;
using AdmissionGuard.Git;

namespace AdmissionGuard.Benchmarks;

/// <summary>
/// A restart's read of the persisted baseline alone, in a guard's cache folder (after bench/scale.sh with KEEP_WORK=1, or a
/// serve): the time of each run and the managed heap the guard keeps (the baseline, and what the next commit reuses).
/// </summary>
internal static class PersistedRestart
{
    public static int Run(string cache, string repository, int runs)
    {
        var settings = new GitSettings { Repository = repository, CacheDirectory = cache };
        var persisted = new PersistedBaseline(settings);
        for (var run = 1; run <= runs; run++)
        {
            var before = GC.GetTotalMemory(forceFullCollection: true);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var started = Stopwatch.GetTimestamp();
            var reused = new ParsedManifests();
            var loaded = Load(persisted, reused);
            var elapsed = Stopwatch.GetElapsedTime(started);
            var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            // The guard's pause after a load (LargeReadCollection), with what the load left still to collect.
            var pause = Stopwatch.GetTimestamp();
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            var collected = Stopwatch.GetElapsedTime(pause);
            var kept = GC.GetTotalMemory(forceFullCollection: true) - before;
            Console.WriteLine(
                $"run {run}: {loaded.Count} policies from {new FileInfo(persisted.FilePath).Length / 1024 / 1024} MiB in {elapsed.TotalMilliseconds:0} ms ({cpuUsed.TotalMilliseconds:0} ms of CPU); " +
                $"the collection after it {collected.TotalMilliseconds:0} ms; heap kept {kept / 1024 / 1024} MiB; peak resident {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024} MiB");
            if (run == runs && Environment.GetEnvironmentVariable("HOLD_SECONDS") is { } hold)
            {
                // Time to take a heap dump of what the baseline keeps (dotnet-gcdump collect -p PID).
                Console.WriteLine($"holding for {hold} s: pid {Environment.ProcessId}");
                Thread.Sleep(TimeSpan.FromSeconds(int.Parse(hold, System.Globalization.CultureInfo.InvariantCulture)));
            }

            GC.KeepAlive(loaded);
            GC.KeepAlive(reused);
        }

        return 0;
    }

    /// <summary>The baseline alone: the rest of what the load returned is gone once this frame is, as in the guard.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static Core.Baseline Load(PersistedBaseline persisted, ParsedManifests reused) =>
        persisted.Load(DateTimeOffset.UtcNow, reused)?.Baseline ?? throw new InvalidOperationException($"no persisted baseline {persisted.FilePath}");
}
