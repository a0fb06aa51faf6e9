using System.Collections.Immutable;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Core.Reporting;

namespace AdmissionGuard.Cluster;

/// <summary>A drift report and the governed live policies it was computed from, with their uids.</summary>
internal sealed record PublishedDrift(DriftReport Report, IReadOnlyDictionary<PolicyKey, string?> Live);

/// <summary>
/// What the reporting replica tells the cluster about drift, beside its logs and /drift: an Event on each
/// policy whose drift starts, changes or ends (<see cref="DriftTransitions"/>), and the PolicyReports when
/// they are on. It runs beside the scanner from the latest report, so a slow or refusing API server never
/// holds up a comparison; reports that arrive while it writes are taken together.
/// </summary>
internal sealed class DriftPublisher(EventRecorder events, PolicyReportWriter? reports, TimeProvider clock, ILogger logger)
{
    /// <summary>
    /// A policy that stays drifted adds to its Event's series this often: Events expire an hour after their
    /// last write (kube-apiserver <c>--event-ttl</c>), and drift that lasts should stay in <c>kubectl get events</c>.
    /// </summary>
    public static readonly TimeSpan Reminder = TimeSpan.FromMinutes(30);

    /// <summary>How often reminders and failed PolicyReport writes are looked at when no report comes.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMinutes(1);

    private readonly Dictionary<PolicyKey, Open> _open = [];
    private volatile PublishedDrift? _latest;
    private TaskCompletionSource _offered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DriftReport? _recorded;

    /// <summary>Hands over a new report; never waits.</summary>
    public void Offer(PublishedDrift drift)
    {
        _latest = drift;
        Interlocked.Exchange(ref _offered, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public async Task RunAsync(CancellationToken cancel)
    {
        while (!cancel.IsCancellationRequested)
        {
            var offered = Volatile.Read(ref _offered).Task;
            if (_latest is { } latest)
            {
                try
                {
                    await PublishAsync(latest, cancel).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    // A bug here must not stop the scanner; the next report or tick tries again.
                    logger.LogError(e, "Recording drift in the cluster (Events, PolicyReports) failed");
                }
            }

            using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            await Task.WhenAny(offered, Task.Delay(Tick, clock, tick.Token)).ConfigureAwait(false);
            await tick.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One round: the Events that <paramref name="drift"/> calls for, reminders that are due, and the PolicyReports.</summary>
    public async Task PublishAsync(PublishedDrift drift, CancellationToken cancel)
    {
        var now = clock.GetUtcNow();
        if (drift.Report != _recorded)
        {
            foreach (var (recorded, item) in DriftTransitions.Between(_recorded, drift.Report))
            {
                // A policy that is gone (an unmanaged one deleted) is still named by the uid it had.
                var uid = drift.Live.GetValueOrDefault(item.Id) ?? _open.GetValueOrDefault(item.Id)?.Uid;
                await events.RecordAsync(recorded, uid, cancel).ConfigureAwait(false);
                if (recorded.Reason == DriftEventReason.DriftResolved)
                {
                    _open.Remove(item.Id);
                }
                else
                {
                    _open[item.Id] = new Open(recorded, uid, now);
                }
            }

            _recorded = drift.Report;
        }

        foreach (var (id, open) in _open.Where(o => now - o.Value.At >= Reminder).ToList())
        {
            await events.RecordAsync(open.Event, open.Uid, cancel).ConfigureAwait(false);
            _open[id] = open with { At = now };
        }

        if (reports is not null)
        {
            await reports.SyncAsync(drift.Report, drift.Live, cancel).ConfigureAwait(false);
        }
    }

    private sealed record Open(DriftEvent Event, string? Uid, DateTimeOffset At);
}
