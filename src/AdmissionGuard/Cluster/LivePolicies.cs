using System.Collections.Immutable;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Core.Policy;
using k8s;
using k8s.Models;
using Polly;

namespace AdmissionGuard.Cluster;

/// <summary>The cluster's NetworkPolicies at one moment; <see cref="Version"/> grows with every change seen.</summary>
/// <param name="Listed">The version of the snapshot that last started from a full list: each watch event since is in <paramref name="Changes"/>.</param>
/// <param name="Changes">The policies each watch event since that list changed, in order (a policy once per event).</param>
public sealed record LiveSnapshot(ImmutableDictionary<PolicyKey, CanonicalPolicy> Policies, long Version, long Listed, ImmutableList<PolicyKey> Changes)
{
    /// <summary>Past this many watch events, a snapshot starts again as if listed: whoever lags that far compares everything.</summary>
    public const int MaxChanges = 10_000;
}

/// <summary>
/// Keeps a snapshot of the cluster's NetworkPolicies with list + watch: a full list, then a watch
/// from its resource version. A watch that ends or drops is resumed from the last resource version
/// seen; an expired one (410 Gone) or a failing watch leads to a new list, and a failing list is retried
/// as <see cref="Reconnection"/> says. The single writer swaps immutable snapshots; readers never lock.
/// </summary>
/// <param name="baseline">The baseline in force, whose policies the live ones share their equal parts with.</param>
/// <param name="settings">What decisions compare: an annotation none can depend on is not kept (<see cref="KubernetesApi.Canonical(V1NetworkPolicy, Baseline?, DecisionSettings)"/>).</param>
internal sealed class LivePolicies(
    IKubernetes client, string host, ResiliencePipeline pipeline, TimeProvider clock, ILogger logger, Func<Baseline?> baseline, DecisionSettings settings) : IDisposable
{
    /// <summary>The API server ends each watch after this long; it is then resumed.</summary>
    public static readonly TimeSpan WatchTimeout = TimeSpan.FromMinutes(5);

    /// <summary>A watch that has said nothing (not even a bookmark) this long after its timeout is taken as dead.</summary>
    public static readonly TimeSpan WatchGrace = TimeSpan.FromSeconds(30);

    /// <summary>Watches that drop in a row, without an event, before the API server is taken as failing.</summary>
    public const int MaxDrops = 3;

    private readonly SemaphoreSlim _changed = new(0, 1);

    // Written and read by the one loop of RunAsync only.
    private bool _watchWorked;
    private bool _listFailing;
    private volatile LiveSnapshot? _current;
    private long _version;

    /// <summary>Null until the first list has succeeded.</summary>
    public LiveSnapshot? Current => _current;

    /// <summary>The last failure to list or watch, cleared by the next successful list.</summary>
    public string? LastError { get; private set; }

    /// <summary>Waits until the snapshot changes, or the timeout passes.</summary>
    public Task<bool> WaitForChangeAsync(TimeSpan timeout, CancellationToken cancel) => _changed.WaitAsync(timeout, cancel);

    public async Task RunAsync(CancellationToken cancel)
    {
        var reconnection = Reconnection.Forever(clock, KubernetesApi.IsApiError, (attempt, delay, error) =>
        {
            LastError = KubernetesApi.Describe(error, host);
            logger.LogWarning("Cannot list or watch NetworkPolicies (attempt {Attempt}), retrying in {Delay:0.#}s: {Error}", attempt, delay.TotalSeconds, LastError);
        });
        while (!cancel.IsCancellationRequested)
        {
            try
            {
                await reconnection.ExecuteAsync(ListAndWatchAsync, cancel).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>
    /// One list, then watches from it until the watch expires. A watch that fails after it had worked leads to a new
    /// list at once; one that never worked (refused, say) fails the attempt, which then waits out the backoff.
    /// </summary>
    private async ValueTask ListAndWatchAsync(CancellationToken cancel)
    {
        var resourceVersion = await ListAsync(cancel).ConfigureAwait(false);
        _watchWorked = false;
        try
        {
            await WatchAsync(resourceVersion, cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (_watchWorked && KubernetesApi.IsApiError(e))
        {
            LastError = KubernetesApi.Describe(e, host);
            logger.LogWarning("Cannot watch NetworkPolicies any more, listing them again: {Error}", LastError);
        }
    }

    /// <summary>Lists every NetworkPolicy and publishes them; gives the resource version to watch from.</summary>
    private async ValueTask<string> ListAsync(CancellationToken cancel)
    {
        IReadOnlyList<CanonicalPolicy> items;
        string resourceVersion;
        try
        {
            (items, resourceVersion) = await KubernetesApi.ListAsync(client, pipeline, Read, cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (KubernetesApi.IsApiError(e))
        {
            _listFailing = true;
            throw;
        }

        var policies = ImmutableDictionary.CreateBuilder<PolicyKey, CanonicalPolicy>();
        foreach (var policy in items)
        {
            policies[policy.Id] = policy;
        }

        Publish(policies.ToImmutable());
        if (_listFailing)
        {
            _listFailing = false;
            logger.LogInformation("Listing NetworkPolicies works again: {Count} live", items.Count);
        }

        LastError = null;
        return resourceVersion;
    }

    /// <summary>
    /// Watches from <paramref name="resourceVersion"/> until the list is out of date (410 Gone). A watch
    /// that ends or drops is resumed from the last resource version seen; when resuming fails
    /// <see cref="MaxDrops"/> times in a row, the failure goes to the caller, which backs off and lists again.
    /// </summary>
    private async Task WatchAsync(string resourceVersion, CancellationToken cancel)
    {
        var drops = 0;
        while (!cancel.IsCancellationRequested)
        {
            var started = clock.GetUtcNow();
            var (next, expired, dropped, events) = await WatchOnceAsync(resourceVersion, cancel).ConfigureAwait(false);
            if (expired)
            {
                logger.LogInformation("NetworkPolicy watch expired at resource version {ResourceVersion}; listing again", next);
                return;
            }

            var lasted = clock.GetUtcNow() - started;
            var worked = dropped is null || events > 0 || lasted > TimeSpan.FromSeconds(10);
            _watchWorked |= worked;
            drops = worked ? 0 : drops + 1;
            if (dropped is not null)
            {
                if (drops >= MaxDrops)
                {
                    throw dropped;
                }

                logger.LogInformation("NetworkPolicy watch dropped ({Error}); resuming from resource version {ResourceVersion}",
                    KubernetesApi.Describe(dropped, host), next);
            }

            resourceVersion = next;
            if (lasted < TimeSpan.FromSeconds(1))
            {
                // A server that closes watches at once must not make this a busy loop.
                await Task.Delay(TimeSpan.FromSeconds(1), clock, cancel).ConfigureAwait(false);
            }
        }
    }

    private async Task<(string ResourceVersion, bool Expired, Exception? Dropped, int Events)> WatchOnceAsync(string resourceVersion, CancellationToken cancel)
    {
        using var watch = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        watch.CancelAfter(WatchTimeout + WatchGrace);
        var expired = false;
        var events = 0;
        try
        {
            var stream = client.NetworkingV1.WatchListNetworkPolicyForAllNamespacesAsync(
                resourceVersion: resourceVersion,
                allowWatchBookmarks: true,
                timeoutSeconds: (int)WatchTimeout.TotalSeconds,
                onError: error =>
                {
                    if (error is KubernetesException)
                    {
                        // An ERROR event (410 Gone, or the server gave up): the events since the list cannot be trusted.
                        expired = true;
                        watch.Cancel();
                    }
                    else
                    {
                        logger.LogDebug("Unreadable NetworkPolicy watch event skipped: {Error}", error.Message);
                    }
                },
                cancellationToken: watch.Token);
            await foreach (var (type, policy) in stream.ConfigureAwait(false))
            {
                events++;
                resourceVersion = policy?.Metadata?.ResourceVersion is { Length: > 0 } seen ? seen : resourceVersion;
                if (policy is null || type is WatchEventType.Bookmark or WatchEventType.Error)
                {
                    continue;
                }

                var snapshot = _current?.Policies ?? ImmutableDictionary<PolicyKey, CanonicalPolicy>.Empty;
                var key = new PolicyKey(policy.Namespace() ?? "", policy.Name() ?? "");
                if (type == WatchEventType.Deleted)
                {
                    Publish(snapshot.Remove(key), key);
                }
                else if (Read(policy) is { } read)
                {
                    Publish(snapshot.SetItem(read.Id, read), read.Id);
                }
            }
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            // Expired, or silent for too long: either way this watch is over.
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !cancel.IsCancellationRequested)
        {
            return (resourceVersion, expired, e, events);
        }

        return (resourceVersion, expired, null, events);
    }

    private CanonicalPolicy? Read(V1NetworkPolicy policy) => Kept(() => KubernetesApi.Canonical(policy, baseline(), settings));

    private CanonicalPolicy? Read(System.Text.Json.JsonElement policy) => Kept(() => KubernetesApi.Canonical(policy, baseline(), settings));

    /// <summary>The policy as it is kept, or null (with a warning) when the API server's object cannot be read.</summary>
    private CanonicalPolicy? Kept(Func<CanonicalPolicy> read)
    {
        try
        {
            return read();
        }
        catch (ClusterException e)
        {
            logger.LogWarning("{Error}; left out of the drift report", e.Message);
            return null;
        }
    }

    /// <param name="changed">The policy a watch event changed; null for a full list.</param>
    private void Publish(ImmutableDictionary<PolicyKey, CanonicalPolicy> policies, PolicyKey? changed = null)
    {
        var version = Interlocked.Increment(ref _version);
        _current = changed is { } key && _current is { } previous && previous.Changes.Count < LiveSnapshot.MaxChanges
            ? new LiveSnapshot(policies, version, previous.Listed, previous.Changes.Add(key))
            : new LiveSnapshot(policies, version, version, []);
        if (_changed.CurrentCount == 0)
        {
            try
            {
                _changed.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
        }
    }

    public void Dispose() => _changed.Dispose();
}
