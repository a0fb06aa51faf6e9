namespace AdmissionGuard.Git;

/// <summary>
/// A new pod's first fetch, started while the host is still being built rather than once it has started: a fetch waits
/// mostly on the Git server, and building the host keeps one CPU busy for about 0.3 s. Started only when no persisted
/// baseline is there to enforce first (a restart reads that while nothing competes for the CPUs).
/// </summary>
/// <remarks>
/// One attempt, bounded as each attempt of <see cref="GitBaselineSource.Fetch"/> is. Its failure is not reported: the
/// refresher then fetches through its retries, circuit breaker and clock, and reports what that meets. So a pod that
/// starts while Git refuses it asks once more than before (a wrong token, an untrusted certificate), and reports a
/// server that does not answer one attempt's time later.
/// </remarks>
internal sealed class FirstFetch : IDisposable
{
    private readonly CancellationTokenSource _stop = new(GitBaselineSource.AttemptTimeout);
    private readonly Task<(string Commit, TimeSpan Took)> _fetch;

    private FirstFetch(GitSettings settings) => _fetch = Task.Run(() =>
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var commit = new GitRepositoryCache(settings).FetchAndResolve(_stop.Token);
        return (commit, System.Diagnostics.Stopwatch.GetElapsedTime(started));
    });

    /// <summary>The fetch, started; null when a persisted baseline is there to be enforced first.</summary>
    public static FirstFetch? StartIfNothingPersisted(GitSettings settings) =>
        File.Exists(new PersistedBaseline(settings).FilePath) ? null : new FirstFetch(settings);

    /// <summary>The fetched commit and how long the fetch took, once it has ended; null when it failed.</summary>
    /// <param name="cancel">Shutdown: stops the fetch too.</param>
    public (string Commit, TimeSpan Took)? Result(CancellationToken cancel)
    {
        using var stopWithIt = cancel.Register(_stop.Cancel);
        try
        {
            return _fetch.GetAwaiter().GetResult();
        }
        catch (Exception) when (!cancel.IsCancellationRequested)
        {
            return null;
        }
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

    /// <summary>A transfer stops at its next progress callback; connecting to a server that does not answer may not.</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(10);
}
