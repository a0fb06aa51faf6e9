using AdmissionGuard.Core;
using Microsoft.Extensions.Options;

namespace AdmissionGuard.Git;

/// <summary>
/// Keeps the baseline in step with Git: at start, every <c>RefreshInterval</c>, and soon after
/// <see cref="RequestRefresh"/>. A commit that fails to load never replaces the baseline in force.
/// </summary>
internal sealed class BaselineRefresher(
    BaselineStore store,
    IOptions<GitSettings> options,
    TimeProvider clock,
    ILogger<BaselineRefresher> logger) : BackgroundService
{
    /// <summary>Trusted writes arrive in bursts (GitOps dry-runs on every reconcile): refresh at most this often on request.</summary>
    public static readonly TimeSpan RequestDebounce = TimeSpan.FromSeconds(5);

    private readonly GitSettings _settings = options.Value;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;

    /// <summary>Asks for a refresh soon; cheap and non-blocking, safe to call on the hot path.</summary>
    public void RequestRefresh()
    {
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
        var cache = new GitRepositoryCache(_settings);
        while (!stoppingToken.IsCancellationRequested)
        {
            _lastAttempt = clock.GetUtcNow();
            await Task.Run(() => RefreshOnce(cache), stoppingToken).ConfigureAwait(false);
            try
            {
                await _wake.WaitAsync(_settings.EffectiveRefreshInterval, stoppingToken).ConfigureAwait(false);
                var sinceLast = clock.GetUtcNow() - _lastAttempt;
                if (sinceLast < RequestDebounce)
                {
                    await Task.Delay(RequestDebounce - sinceLast, clock, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    internal void RefreshOnce(GitRepositoryCache cache)
    {
        var state = store.State;
        var now = clock.GetUtcNow();
        string? commit = null;
        try
        {
            var baseline = GitBaselineSource.LoadCommit(cache, _settings, now, state.Baseline, out var fetched);
            commit = fetched;
            if (ReferenceEquals(baseline, state.Baseline))
            {
                store.Publish(state with { LastSuccessAt = now, ConsecutiveFailures = 0 });
                return;
            }

            LogChange(state.Baseline, baseline);
            store.Publish(new BaselineState(baseline, "git", state.LastError, now, state.LastFailureAt, 0));
        }
        catch (Exception e) when (e is BaselineLoadException or LibGit2Sharp.LibGit2SharpException or IOException or UnauthorizedAccessException)
        {
            var failure = e as BaselineLoadException;
            var error = new RefreshError(OneLine(e.Message), failure?.Commit ?? commit, failure?.Path, now);
            store.Publish(state with { LastError = error, LastFailureAt = now, ConsecutiveFailures = state.ConsecutiveFailures + 1 });
            logger.LogError(
                "Baseline refresh failed ({ConsecutiveFailures} in a row); {InForce}: {Error}",
                state.ConsecutiveFailures + 1,
                state.Baseline is { } current ? $"keeping commit {current.ShortCommit}" : "no baseline loaded yet",
                error.Message);
        }
    }

    private void LogChange(Baseline? previous, Baseline next)
    {
        if (previous is null)
        {
            logger.LogInformation(
                "Baseline loaded: commit {Commit} ({Ref}), {ObjectCount} NetworkPolicies", next.Commit, next.Ref, next.Count);
            return;
        }

        var added = next.Entries.Count(e => previous.Find(e.Policy.Id) is null);
        var removed = previous.Entries.Count(e => next.Find(e.Policy.Id) is null);
        var changed = next.Entries.Count(e => previous.Find(e.Policy.Id) is { } old && old.Policy.Spec.Key != e.Policy.Spec.Key);
        logger.LogInformation(
            "Baseline changed: {OldCommit} -> {Commit} ({Ref}): {Added} added, {Changed} changed, {Removed} removed, {ObjectCount} NetworkPolicies",
            previous.Commit, next.Commit, next.Ref, added, changed, removed, next.Count);
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
