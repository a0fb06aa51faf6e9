using AdmissionGuard.Core;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace AdmissionGuard.Git;

/// <summary>
/// Keeps the baseline in step with Git: the persisted last-known-good at start, then a fetch at
/// start, every <c>RefreshInterval</c>, and soon after <see cref="RequestRefresh"/>. A commit that
/// fails to load never replaces the baseline in force. /validate never waits for any of this.
/// </summary>
internal sealed class BaselineRefresher(
    BaselineStore store,
    IOptions<GitSettings> options,
    TimeProvider clock,
    Observability.GuardMetrics metrics,
    ILogger<BaselineRefresher> logger,
    FirstFetch? firstFetch = null) : BackgroundService
{
    /// <summary>Trusted writes arrive in bursts (GitOps dry-runs on every reconcile): they refresh at most this often.</summary>
    public static readonly TimeSpan RequestDebounce = TimeSpan.FromSeconds(5);

    private readonly GitSettings _settings = options.Value;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly GitBaselineSource _source = new(options.Value, clock);
    private readonly PersistedBaseline _persisted = new(options.Value);
    private DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;
    private volatile bool _urgent;
    private string? _rejectedCommit;
    private FirstFetch? _firstFetch = firstFetch;

    /// <summary>Asks for a refresh soon; cheap and non-blocking, safe to call on the hot path.</summary>
    /// <param name="urgent">A push hook: skip the debounce that protects Git from trusted-write bursts.</param>
    public void RequestRefresh(bool urgent = false)
    {
        _urgent |= urgent;
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already requested.
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Run(LoadPersisted, stoppingToken).ConfigureAwait(false);
        CollectWhatTheLoadLeft();

        while (!stoppingToken.IsCancellationRequested)
        {
            _lastAttempt = clock.GetUtcNow();
            await Task.Run(() => RefreshOnce(stoppingToken), stoppingToken).ConfigureAwait(false);
            CollectWhatTheLoadLeft();

            try
            {
                var requested = await _wake.WaitAsync(_settings.EffectiveRefreshInterval, stoppingToken).ConfigureAwait(false);
                var hold = HoldBeforeRefresh(requested, _urgent, clock.GetUtcNow() - _lastAttempt);
                if (hold > TimeSpan.Zero)
                {
                    await Task.Delay(hold, clock, stoppingToken).ConfigureAwait(false);
                }

                _urgent = false;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// How long a refresh waits once it is due: a requested one (a trusted write) until <see cref="RequestDebounce"/> has
    /// passed since the last, so a burst of them fetches once; an urgent one (a push hook) and the interval's not at all.
    /// </summary>
    internal static TimeSpan HoldBeforeRefresh(bool requested, bool urgent, TimeSpan sinceLast) =>
        requested && !urgent && sinceLast < RequestDebounce ? RequestDebounce - sinceLast : TimeSpan.Zero;

    /// <summary>
    /// A load leaves its working set and the previous baseline in the oldest generation: collected at once, so that a
    /// full collection does not stop /validate at a random moment later, and given back to the system (resident 5 s after
    /// a 50,000-policy load: 272 MiB from Git, 253 MiB from the persisted baseline, against 383 and 308-333 MiB when the
    /// memory was kept). The cost: /validate waits for the pause, twice per commit loaded from Git (before and after it is
    /// written to disk; three times for a new pod's first, whose served-spec digests are made in between) and once per
    /// persisted baseline read (tens of milliseconds at 10,000 policies, 0.20-0.27 s at 50,000).
    /// </summary>
    /// <remarks>After the baseline is written to disk, so that what writing it took is collected too.</remarks>
    internal void CollectWhatTheLoadLeft()
    {
        if (store.Collecting)
        {
            Hosting.LargeReadCollection.Collect();
            store.Collected();
        }
    }

    /// <returns>Whether a persisted baseline was put in force.</returns>
    private bool LoadPersisted()
    {
        try
        {
            if (_persisted.Load(clock.GetUtcNow(), _source.Reused) is { } loaded && store.Current is null)
            {
                var baseline = loaded.Baseline;
                store.PublishLoaded(store.State with { Baseline = baseline, Source = "persisted", Sources = loaded.Sources });
                logger.LogWarning(
                    "Enforcing the persisted baseline {Commit} ({ObjectCount} NetworkPolicies) while Git is asked for the commit in force",
                    baseline.Commit, baseline.Count);
                return true;
            }
        }
        catch (Exception e) when (e is BaselineLoadException or IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Persisted baseline not used: {Error}", e.Message);
        }

        return false;
    }

    /// <summary>The first fetch started before the host, once: later refreshes fetch themselves.</summary>
    private FirstFetch? TakeFirstFetch()
    {
        var first = _firstFetch;
        _firstFetch = null;
        return first;
    }

    /// <returns>Whether a new baseline was put in force.</returns>
    internal bool RefreshOnce(CancellationToken cancel)
    {
        var state = store.State;
        var now = clock.GetUtcNow();
        string? commit = null;
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var first = TakeFirstFetch();
            (commit, var fetched) = first is not null ? first.Result(cancel) : (_source.Fetch(cancel), System.Diagnostics.Stopwatch.GetElapsedTime(started));
            if (state.Baseline?.Commit == commit)
            {
                if (state.Source == "persisted")
                {
                    logger.LogInformation("Git answered: {Commit} ({Ref}), the persisted baseline, is still the commit in force", commit, _settings.Ref);
                }

                metrics.RefreshSucceeded();
                store.Publish(state with { Source = "git", LastSuccessAt = now, ConsecutiveFailures = 0 });
                return false;
            }

            if (commit == _rejectedCommit && state.LastError is { } known)
            {
                // Same broken commit as last time: keep the error, do not parse or log it again.
                metrics.RefreshFailed();
                store.Publish(state with { LastFailureAt = now, ConsecutiveFailures = state.ConsecutiveFailures + 1, LastError = known with { At = now } });
                return false;
            }

            // With nothing in force, every review waits for this read: the served-spec digests, a third of it, come after.
            var withoutDigests = state.Baseline is null && _source.ReadsPlainFiles;
            var reading = System.Diagnostics.Stopwatch.GetTimestamp();
            var loaded = _source.Load(commit, now, withoutDigests, cancel);
            var baseline = loaded.Baseline;
            var read = System.Diagnostics.Stopwatch.GetElapsedTime(reading);
            metrics.RefreshSucceeded();
            store.PublishLoaded(new BaselineState(baseline, "git", state.LastError, now, state.LastFailureAt, 0) { Sources = loaded.Sources });

            // Counting what changed goes over every policy of both commits: after the new one is in force, not before.
            LogChange(state.Baseline, baseline, fetched, read);
            _rejectedCommit = null;

            // What the load left is collected before the baseline is written to disk, so that writing it does not come on
            // top (at 50,000 policies the two together peaked 25 MB higher); what writing it left is collected after.
            Hosting.LargeReadCollection.Collect();
            var saved = loaded;
            if (withoutDigests)
            {
                if (AddDigests(loaded) is not { } withDigests)
                {
                    return true;
                }

                // What making them left, and the baseline read without them, are collected before the writing too.
                Hosting.LargeReadCollection.Collect();
                saved = withDigests;
            }

            Persist(saved, now);
            return true;
        }
        catch (Exception e) when (e is BaselineLoadException or LibGit2Sharp.LibGit2SharpException or IOException
            or UnauthorizedAccessException or BrokenCircuitException or TimeoutRejectedException)
        {
            metrics.RefreshFailed();
            var failure = e as BaselineLoadException;
            if (failure?.FailedSource is { } source)
            {
                metrics.RenderFailed(source);
            }

            _rejectedCommit = failure?.Commit;
            var error = new RefreshError(GitBaselineSource.Describe(e), failure?.Commit ?? commit, failure?.Path, now);
            store.Publish(state with { LastError = error, LastFailureAt = now, ConsecutiveFailures = state.ConsecutiveFailures + 1 });
            logger.LogError(
                "Baseline refresh failed ({ConsecutiveFailures} in a row); {InForce}: {Error}",
                state.ConsecutiveFailures + 1,
                state.Baseline is { } current ? $"still enforcing {current.ShortCommit}" : "no baseline loaded yet",
                error.Message);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            // A bug, not Git or the commit: say so, keep what is in force (which may be this commit, when only saving it
            // failed), and go on refreshing. The commit is read again next time: what failed may not fail twice.
            metrics.RefreshFailed();
            var current = store.State;
            var error = new RefreshError($"internal error while loading the commit ({e.GetType().Name}: {GitBaselineSource.Describe(e)}); please report it", commit, null, now);
            store.Publish(current with { LastError = error, LastFailureAt = now, ConsecutiveFailures = current.ConsecutiveFailures + 1 });
            logger.LogError(e, "Baseline refresh failed with an internal error; {InForce}", current.Baseline is { } inForce ? $"still enforcing {inForce.ShortCommit}" : "no baseline loaded yet");
        }

        return false;
    }

    /// <summary>
    /// The loaded commit with its served-spec digests, put in force; null when they could not be made. Then the baseline is
    /// not written to disk, and what was read is not kept for the next commit either: a restart reads the commit from Git
    /// again, and the next commit reads every file, rather than go on without them.
    /// </summary>
    /// <remarks>
    /// Not cancelled when the pod stops, as writing the baseline to disk is not: they take seconds at most, and a pod
    /// stopped just after its first load then starts again from its persisted baseline, digests and all.
    /// </remarks>
    internal LoadedCommit? AddDigests(LoadedCommit loaded)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var withDigests = _source.AddDigests(loaded);
            if (!ReferenceEquals(withDigests, loaded))
            {
                store.Publish(store.State with { Baseline = withDigests.Baseline });
            }

            // Once per new pod; a detail of speed, not something to act on.
            logger.LogDebug(
                "Served-spec digests of commit {Commit} made in {DigestSeconds:0.00}s: reviews that repeat Git's spec are recognised by their bytes",
                loaded.Baseline.Commit,
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            return withDigests;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _source.Reused.Clear();

            // The clone gone or damaged is said in one line; anything else is a bug, with its stack for the report.
            var expected = e is BaselineLoadException or LibGit2Sharp.LibGit2SharpException or IOException or UnauthorizedAccessException;
            logger.LogWarning(
                expected ? null : e,
                "Commit {Commit} is in force, but reading it again for its served-spec digests failed: {Error}; reviews are read in full, and the baseline is not saved to disk",
                loaded.Baseline.Commit,
                GitBaselineSource.Describe(e));
            return null;
        }
    }

    private void Persist(LoadedCommit loaded, DateTimeOffset now)
    {
        var baseline = loaded.Baseline;
        try
        {
            _persisted.Save(loaded, now);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Could not persist baseline {Commit}: {Error}", baseline.Commit, e.Message);
        }
    }

    private void LogChange(Baseline? previous, Baseline next, TimeSpan fetch, TimeSpan read)
    {
        // Once per new commit, at most ten lines: /status lists them all.
        foreach (var notice in next.Notices.Take(10))
        {
            logger.LogWarning("Commit {Commit}: {Notice}", next.ShortCommit, notice);
        }

        if (previous is null)
        {
            logger.LogInformation(
                "Baseline loaded: commit {Commit} ({Ref}), {ObjectCount} NetworkPolicies; fetched in {FetchSeconds:0.00}s, read in {ReadSeconds:0.00}s",
                next.Commit, next.Ref, next.Count, fetch.TotalSeconds, read.TotalSeconds);
            return;
        }

        var added = next.Entries.Count(e => previous.Find(e.Policy.Id) is null);
        var removed = previous.Entries.Count(e => next.Find(e.Policy.Id) is null);
        var changed = next.Entries.Count(e => previous.Find(e.Policy.Id) is { } old && !old.Policy.Spec.Equals(e.Policy.Spec));
        logger.LogInformation(
            "Baseline changed: {OldCommit} -> {Commit} ({Ref}): {Added} added, {Changed} changed, {Removed} removed, {ObjectCount} NetworkPolicies; fetched in {FetchSeconds:0.00}s, read in {ReadSeconds:0.00}s",
            previous.Commit, next.Commit, next.Ref, added, changed, removed, next.Count, fetch.TotalSeconds, read.TotalSeconds);
    }
}
