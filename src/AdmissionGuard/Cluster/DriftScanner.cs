using System.Collections.Immutable;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Git;
using AdmissionGuard.Observability;
using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;

namespace AdmissionGuard.Cluster;

/// <summary>
/// The drift scanner of <c>serve</c>. Every replica takes part in the election for the Lease; the
/// holder watches the cluster's NetworkPolicies, recomputes drift whenever the cluster or the
/// baseline's commit changes, publishes the report to <see cref="DriftStore"/>, logs each new,
/// changed and resolved drift item once, and records it in the cluster (<see cref="DriftPublisher"/>:
/// Events, and PolicyReports when they are on). The others only serve /validate. /validate never waits
/// for any of this.
/// </summary>
internal sealed class DriftScanner(
    DriftOptions options,
    KubernetesClientConfiguration kubernetes,
    DriftStore drift,
    BaselineStore baselines,
    Microsoft.Extensions.Options.IOptions<GitSettings> git,
    DecisionSettings settings,
    GuardMetrics metrics,
    TimeProvider clock,
    ILogger<DriftScanner> logger) : BackgroundService
{
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan RenewDeadline = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan RetryPeriod = TimeSpan.FromSeconds(2);

    /// <summary>How often the baseline's commit is compared with the one drift was computed for (one volatile read).</summary>
    public static readonly TimeSpan BaselinePoll = TimeSpan.FromMilliseconds(500);

    /// <summary>Watch events arrive in bursts (a GitOps sync of many policies): recompute once per burst.</summary>
    public static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(200);

    /// <summary>After an unexpected failure (a bug, not the API server), the scanner starts again after this pause.</summary>
    public static readonly TimeSpan FailurePause = TimeSpan.FromSeconds(10);

    private readonly string _identity = options.EffectiveIdentity;
    private readonly DriftRemediation _remediation = new(options, git.Value, settings, metrics, clock, logger);
    private readonly string _lease = $"{options.EffectiveNamespace}/{options.LeaseName}";
    private string? _leaseError;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var client = new Kubernetes(kubernetes);
        var pipeline = KubernetesApi.Pipeline(retries: 3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), clock);
        using var events = new EventRecorder(client, kubernetes.Host, _identity, pipeline, metrics, clock, logger);
        var reports = options.PolicyReports ? new PolicyReportWriter(client, kubernetes.Host, pipeline, metrics, clock, logger) : null;
        var reconnection = Reconnection.Forever(clock, e => KubernetesApi.IsApiError(e) || e is InvalidOperationException, (attempt, delay, error) =>
        {
            var message = KubernetesApi.Describe(error, kubernetes.Host);
            drift.Update(s => s with { LastError = message });
            logger.LogWarning("Cannot take part in the drift Lease {Lease} (attempt {Attempt}), retrying in {Delay:0.#}s: {Error}", _lease, attempt, delay.TotalSeconds, message);
        });
        logger.LogInformation("Drift scanner on: {Identity} competes for the Lease {Lease} at {Host}", _identity, _lease, kubernetes.Host);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await reconnection.ExecuteAsync(cancel => TakePartAsync(client, pipeline, events, reports, cancel), stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Shutting down.
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The scanner must never take the webhook down with it.
                logger.LogError(e, "Drift scanner failed; starting again in {Delay}s", FailurePause.TotalSeconds);
                await Delay(FailurePause, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One election: competes for the Lease, reports drift while holding it, and returns when it is lost.</summary>
    private async ValueTask TakePartAsync(
        IKubernetes client, Polly.ResiliencePipeline pipeline, EventRecorder events, PolicyReportWriter? reports, CancellationToken stoppingToken)
    {
        var leaseLock = new LeaseLock(client, options.EffectiveNamespace, options.LeaseName, _identity);
        leaseLock.OnHttpError += e =>
        {
            // 409 Conflict is the normal end of a race with another replica.
            if (e.Response?.StatusCode != System.Net.HttpStatusCode.Conflict)
            {
                LeaseFailed(e);
            }
        };
        var lease = new ObservedLock(leaseLock, LeaseFailed, LeaseWorks);
        using var elector = new LeaderElector(new LeaderElectionConfig(lease)
        {
            LeaseDuration = LeaseDuration,
            RenewDeadline = RenewDeadline,
            RetryPeriod = RetryPeriod,
        });
        using var term = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var reporting = Task.CompletedTask;
        var led = false;
        elector.OnStartedLeading += () =>
        {
            led = true;
            drift.Update(s => s with { Reporting = true, Leader = _identity, Waiting = "waiting for the first list of NetworkPolicies" });
            logger.LogInformation("This replica ({Identity}) holds the Lease {Lease} and reports drift", _identity, _lease);
            reporting = Task.Run(() => ReportWhileLeadingAsync(client, pipeline, events, reports, term.Token), CancellationToken.None);
        };
        elector.OnStoppedLeading += term.Cancel;
        elector.OnNewLeader += leader =>
        {
            drift.Update(s => s with { Leader = leader });
            if (leader != _identity)
            {
                logger.LogInformation("The Lease {Lease} is held by {Leader}; this replica does not report drift", _lease, leader);
            }
        };
        elector.OnError += error => logger.LogDebug("Drift Lease: {Error}", KubernetesApi.Describe(error, kubernetes.Host));

        try
        {
            await elector.RunUntilLeadershipLostAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (led && !stoppingToken.IsCancellationRequested && (KubernetesApi.IsApiError(e) || e is InvalidOperationException))
        {
            // A failure that ends a term this replica held is a new one: compete again with the backoff from its start.
            logger.LogWarning("The drift Lease {Lease} was lost to an error: {Error}", _lease, KubernetesApi.Describe(e, kubernetes.Host));
        }
        finally
        {
            await term.CancelAsync().ConfigureAwait(false);
            try
            {
                await reporting.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Drift report failed while stopping");
            }

            if (drift.State.Reporting)
            {
                logger.LogInformation("This replica ({Identity}) no longer holds the Lease {Lease} and stops reporting drift", _identity, _lease);
                if (stoppingToken.IsCancellationRequested)
                {
                    await ReleaseAsync(lease).ConfigureAwait(false);
                }
            }

            drift.Update(s => s with
            {
                Reporting = false,
                Report = null,
                Leader = s.Leader == _identity ? null : s.Leader,
                Waiting = DriftState.Electing.Waiting,
            });
        }
    }

    /// <summary>
    /// On shutdown, hands the Lease back (no holder, as client-go's ReleaseOnCancel does), so that another replica takes
    /// over drift reporting within its retry period rather than after the Lease expires; a rolling update then leaves no gap.
    /// </summary>
    private async Task ReleaseAsync(ILock lease)
    {
        try
        {
            using var timeout = new CancellationTokenSource(RetryPeriod);
            var held = await lease.GetAsync(timeout.Token).ConfigureAwait(false);
            if (held?.HolderIdentity != _identity)
            {
                return;
            }

            var released = new LeaderElectionRecord
            {
                HolderIdentity = "",
                LeaseDurationSeconds = 1,
                AcquireTime = held.AcquireTime,
                RenewTime = DateTime.UtcNow,
                LeaderTransitions = held.LeaderTransitions,
            };
            if (await lease.UpdateAsync(released, timeout.Token).ConfigureAwait(false))
            {
                logger.LogInformation("Released the Lease {Lease}: another replica can report drift at once", _lease);
            }
        }
        catch (Exception e) when (KubernetesApi.IsApiError(e) || e is OperationCanceledException)
        {
            logger.LogWarning("Could not release the Lease {Lease}; another replica takes over when it expires in {Seconds}s: {Error}",
                _lease, LeaseDuration.TotalSeconds, e is OperationCanceledException ? "timed out" : KubernetesApi.Describe(e, kubernetes.Host));
        }
    }

    /// <summary>The elector retries Lease failures quietly (a missing RBAC rule would leave no trace): say each new one once.</summary>
    private void LeaseFailed(Exception error)
    {
        var message = KubernetesApi.Describe(error, kubernetes.Host);
        drift.Update(s => s with { LastError = message });
        if (message != _leaseError)
        {
            _leaseError = message;
            logger.LogWarning("Drift Lease {Lease}: {Error}", _lease, message);
        }
    }

    private void LeaseWorks()
    {
        if (_leaseError is not null)
        {
            _leaseError = null;
            drift.Update(s => s with { LastError = null });
            logger.LogInformation("Drift Lease {Lease} can be read again", _lease);
        }
    }

    private async Task ReportWhileLeadingAsync(
        IKubernetes client, Polly.ResiliencePipeline pipeline, EventRecorder events, PolicyReportWriter? reports, CancellationToken term)
    {
        // One publisher per term: a report started again after a failure does not record its Events again.
        reports?.BeginTerm();
        var publisher = new DriftPublisher(events, reports, clock, logger);
        while (!term.IsCancellationRequested)
        {
            try
            {
                await ReportAsync(client, pipeline, publisher, events, term).ConfigureAwait(false);
            }
            catch (Exception e) when (!term.IsCancellationRequested)
            {
                logger.LogError(e, "Drift report failed; starting again in {Delay}s", FailurePause.TotalSeconds);
                drift.Update(s => s.Reporting ? s with { LastError = $"drift report failed: {e.Message}" } : s);
                await Delay(FailurePause, term).ConfigureAwait(false);
            }
        }
    }

    private async Task ReportAsync(IKubernetes client, Polly.ResiliencePipeline pipeline, DriftPublisher publisher, EventRecorder events, CancellationToken term)
    {
        // Listed against the baseline, each live policy keeps the parts it has in common with its declared one instead
        // of its own; listed before the first baseline (a new pod), 50,000 live policies kept their own parts, and the
        // list's memory and CPU came on top of the first load's: 536-539 MiB at the peak, over the pod's 512Mi.
        while (baselines.Current is null || baselines.Collecting)
        {
            Publish(null, "waiting for the Git baseline", null);
            try
            {
                await Task.Delay(BaselinePoll, clock, term).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (term.IsCancellationRequested)
            {
                return;
            }
        }

        using var live = new LivePolicies(client, kubernetes.Host, pipeline, clock, logger, () => baselines.Current, settings);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(term);
        var watching = live.RunAsync(stop.Token);
        var publishing = publisher.RunAsync(stop.Token);
        DriftReport? previous = null;
        long seenVersion = -1, seenListed = -1;
        var seenChanges = 0;
        try
        {
            while (!term.IsCancellationRequested)
            {
                if (watching.IsFaulted)
                {
                    await watching.ConfigureAwait(false);
                }

                if (await live.WaitForChangeAsync(BaselinePoll, term).ConfigureAwait(false))
                {
                    await Task.Delay(Debounce, clock, term).ConfigureAwait(false);
                }

                var (baseline, snapshot) = (baselines.Current, live.Current);
                if (baseline is null || snapshot is null)
                {
                    var waiting = baseline is null ? "waiting for the Git baseline" : "waiting for the first list of NetworkPolicies";
                    Publish(previous, waiting, live.LastError);
                    continue;
                }

                // A break-glass that expires changes the report though nothing in the cluster or Git did.
                if (previous is not null && baseline.Commit == previous.Commit && snapshot.Version == seenVersion
                    && !(previous.NextBreakGlassExpiry <= clock.GetUtcNow()))
                {
                    Publish(previous, null, live.LastError);
                    await _remediation.ConsiderAsync(previous, baseline, snapshot.Policies, client, events, term).ConfigureAwait(false);
                    continue;
                }

                // Since the last report, only watch events on the same list and the same commit: compare what they changed.
                var now = clock.GetUtcNow();
                var firstOfTerm = previous is null;
                var report = previous is not null && baseline.Commit == previous.Commit && snapshot.Listed == seenListed && !(previous.NextBreakGlassExpiry <= now)
                    ? Drift.Update(previous, baseline, snapshot.Policies, snapshot.Changes.GetRange(seenChanges, snapshot.Changes.Count - seenChanges), settings, [], now)
                    : Drift.Find(baseline, snapshot.Policies.Values, settings, [], now);
                LogChanges(previous, report);
                previous = report;
                (seenVersion, seenListed, seenChanges) = (snapshot.Version, snapshot.Listed, snapshot.Changes.Count);
                Publish(report, null, live.LastError);
                publisher.Offer(new PublishedDrift(report, new GovernedUids(snapshot.Policies, settings)));
                if (firstOfTerm)
                {
                    // The term's first list read every live policy at once, and what its reading left sits in the oldest
                    // generation until a full collection: collected now, in one pause of /validate (0.2-0.3 s at 50,000
                    // declared and live; resident afterwards 414 -> 365-374 MiB). Later lists (after a 410) and watch
                    // events leave little, and are left to the collector rather than pausing /validate for each.
                    Hosting.LargeReadCollection.Collect();
                }

                await _remediation.ConsiderAsync(report, baseline, snapshot.Policies, client, events, term).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (term.IsCancellationRequested)
        {
            // Leadership lost or shutting down.
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await watching.ConfigureAwait(false);
            await publishing.ConfigureAwait(false);
        }
    }

    private void Publish(DriftReport? report, string? waiting, string? lastError)
    {
        var state = drift.State;
        if (state.Reporting && (state.Report != report || state.Waiting != waiting || state.LastError != lastError))
        {
            drift.Update(s => s.Reporting ? s.WithReport(report) with { Waiting = waiting, LastError = lastError } : s);
        }
    }

    private void LogChanges(DriftReport? before, DriftReport after)
    {
        var old = (before?.Items ?? []).ToDictionary(i => (i.Id, i.Type));
        foreach (var item in after.Items)
        {
            if (!old.Remove((item.Id, item.Type), out var was))
            {
                logger.LogWarning("Drift found: {Drift} [{DriftType} {Namespace}/{Name}, Git {Commit}]",
                    Detail(item), Lower(item.Type), item.Namespace, item.Name, after.ShortCommit);
            }
            else if (!was.Differences.SequenceEqual(item.Differences) || was.GitPath != item.GitPath)
            {
                logger.LogWarning("Drift changed: {Drift} [{DriftType} {Namespace}/{Name}, Git {Commit}]",
                    Detail(item), Lower(item.Type), item.Namespace, item.Name, after.ShortCommit);
            }

            if (item.BreakGlass is { Expired: true } && was?.BreakGlass is not { Expired: true })
            {
                logger.LogWarning("Break-glass expired and NetworkPolicy {Policy} still differs from Git: {BreakGlass} [{DriftType}, Git {Commit}]",
                    item.Id.ToString(), item.BreakGlass.ToString(), Lower(item.Type), after.ShortCommit);
            }
        }

        foreach (var ((id, type), _) in old)
        {
            logger.LogInformation("Drift resolved: NetworkPolicy {Policy} is no longer {DriftType} [Git {Commit}]", id.ToString(), Lower(type), after.ShortCommit);
        }

        if (before is null || before.Missing != after.Missing || before.Unmanaged != after.Unmanaged || before.Modified != after.Modified)
        {
            logger.LogInformation(
                "Drift against Git {Ref}@{Commit}: {Missing} missing, {Unmanaged} unmanaged, {Modified} modified ({Declared} NetworkPolicies in Git, {Live} live)",
                after.Ref, after.ShortCommit, after.Missing, after.Unmanaged, after.Modified, after.Declared, after.Live);
        }
    }

    private static string Lower(DriftType type) => type.ToString().ToLowerInvariant();

    private static string Detail(DriftItem item) => item.Provenance is { } provenance ? $"{item.Describe()} ({provenance})" : item.Describe();

    private async Task Delay(TimeSpan delay, CancellationToken cancel)
    {
        try
        {
            await Task.Delay(delay, clock, cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    /// <summary>A Lease lock that reports failures to read the Lease; "not found" is how a Lease is first created, not a failure.</summary>
    private sealed class ObservedLock(ILock inner, Action<Exception> failed, Action works) : ILock
    {
        public string Identity => inner.Identity;

        public async Task<LeaderElectionRecord> GetAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                var record = await inner.GetAsync(cancellationToken).ConfigureAwait(false);
                works();
                return record;
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response?.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                works();
                throw;
            }
            catch (Exception e) when (KubernetesApi.IsApiError(e))
            {
                failed(e);
                throw;
            }
        }

        public Task<bool> CreateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default) => inner.CreateAsync(record, cancellationToken);

        public Task<bool> UpdateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default) => inner.UpdateAsync(record, cancellationToken);

        public string Describe() => inner.Describe();
    }
}
