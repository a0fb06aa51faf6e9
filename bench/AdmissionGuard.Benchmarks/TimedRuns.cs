using System.Diagnostics;

namespace AdmissionGuard.Benchmarks;

/// <summary>
/// Runs a baseline read a number of times in this process and prints, for each run: what it read, its wall-clock and CPU
/// time, what it allocated and the collections that made (their count per generation, and their pauses), the pause of the collection the guard makes after a load (<see cref="Hosting.LargeReadCollection"/>), the
/// managed heap that what it read keeps, and the process's peak resident memory. The first run includes compiling the
/// code; the later ones show the work itself.
/// </summary>
internal static class TimedRuns
{
    /// <param name="read">One read; what it returns is kept alive until the run's heap is measured.</param>
    /// <param name="describe">What the run read, e.g. "50000 policies from 53 MiB".</param>
    public static int Run<T>(int runs, Func<T> read, Func<T, string> describe)
    {
        for (var run = 1; run <= runs; run++)
        {
            One(run, run == runs, read, describe);
        }

        return 0;
    }

    /// <summary>One run, in a frame of its own: what the run before kept is gone before this one measures the heap.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void One<T>(int run, bool last, Func<T> read, Func<T, string> describe)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var (paused, allocated) = (GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());
        var collections = Enumerable.Range(0, 3).Select(GC.CollectionCount).ToArray();
        var started = Stopwatch.GetTimestamp();
        var result = read();
        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var (pausedDuring, allocatedDuring) = (GC.GetTotalPauseDuration() - paused, GC.GetTotalAllocatedBytes() - allocated);
        var collectionsDuring = string.Join('/', Enumerable.Range(0, 3).Select(generation => GC.CollectionCount(generation) - collections[generation]));

        // With what the read left still to collect, as in the guard.
        var pause = Stopwatch.GetTimestamp();
        Hosting.LargeReadCollection.Collect();
        var collected = Stopwatch.GetElapsedTime(pause);
        var kept = GC.GetTotalMemory(forceFullCollection: true) - before;
        Console.WriteLine(
            $"run {run}: {describe(result)} in {elapsed.TotalMilliseconds:0} ms ({cpuUsed.TotalMilliseconds:0} ms of CPU; " +
            $"{allocatedDuring / 1024 / 1024} MiB allocated, collections {collectionsDuring} of generations 0/1/2 pausing {pausedDuring.TotalMilliseconds:0} ms); " +
            $"the collection after it {collected.TotalMilliseconds:0} ms; heap kept {kept / 1024 / 1024} MiB; " +
            $"peak resident {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024} MiB");
        if (last && Environment.GetEnvironmentVariable("HOLD_SECONDS") is { } hold)
        {
            // Time to take a heap dump of what the read keeps (dotnet-gcdump collect -p PID).
            Console.WriteLine($"holding for {hold} s: pid {Environment.ProcessId}");
            Thread.Sleep(TimeSpan.FromSeconds(int.Parse(hold, System.Globalization.CultureInfo.InvariantCulture)));
        }

        GC.KeepAlive(result);
    }
}
