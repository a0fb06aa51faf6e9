namespace AdmissionGuard.Git;

/// <summary>
/// A new pod's first fetch, started while the host is still being built rather than once it has started: a fetch waits
/// mostly on the Git server, and building the host keeps one CPU busy for about 0.3 s. Started only when no persisted
/// baseline is there to enforce first (a restart reads that while nothing competes for the CPUs).
/// </summary>
/// <remarks>
/// The fetch goes through the same retries, timeout and circuit breaker as every other (<see cref="GitBaselineSource.Fetch"/>,
/// an instance of its own), and the refresher takes its outcome as that of its own first fetch: the commit, or the
/// failure, reported as the refresher reports any.
/// </remarks>
internal sealed class FirstFetch : IDisposable
{
    /// <summary>A transfer stops at its next progress callback; connecting to a server that does not answer may not.</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task<(string Commit, TimeSpan Took)> _fetch;

    private FirstFetch(GitSettings settings, TimeProvider clock)
    {
        var source = new GitBaselineSource(settings, clock);
        _fetch = Task.Run(() =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var commit = source.Fetch(_stop.Token);
            return (commit, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        });
    }

    /// <summary>The fetch, started; null when a persisted baseline is there to be enforced first.</summary>
    /// <param name="clock">The clock of the fetch's retries and circuit breaker.</param>
    public static FirstFetch? StartIfNothingPersisted(GitSettings settings, TimeProvider clock) =>
        File.Exists(new PersistedBaseline(settings).FilePath) ? null : new FirstFetch(settings, clock);

    /// <summary>The fetched commit and how long the fetch took, once it has ended; its failure is thrown as the fetch threw it.</summary>
    /// <param name="cancel">Shutdown: stops the fetch too.</param>
    public (string Commit, TimeSpan Took) Result(CancellationToken cancel)
    {
        using var stopWithIt = cancel.Register(_stop.Cancel);
        return _fetch.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Stops a fetch nobody took (the host failed to start, or stopped first), and waits a little for it to end, so that
    /// it is not still writing to the clone when the next fetch, or whoever cleans the cache, comes.
    /// </summary>
    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _fetch.Wait(StopWait);
        }
        catch (AggregateException)
        {
            // Stopped, or failed: either way it has ended.
        }
    }
}
