using System.Collections.Immutable;
using AdmissionGuard.Core;

namespace AdmissionGuard.Cluster;

/// <summary>
/// What the drift scanner knows. <see cref="Reporting"/>: this replica holds the Lease and reports;
/// <see cref="Report"/> is null until both the baseline and the first list of the cluster are in;
/// <see cref="Waiting"/> says why there is no report; <see cref="LastError"/> is the API server's
/// last failure.
/// </summary>
public sealed record DriftState(bool Enabled, bool Reporting, string? Leader, DriftReport? Report, string? Waiting, string? LastError)
{
    /// <summary>How long a replaced report still serves the pages of its continue tokens, as a Kubernetes list's do.</summary>
    public static readonly TimeSpan PagesLast = TimeSpan.FromMinutes(5);

    /// <summary>Replaced reports kept for their pages at most: on a busy cluster every watch event makes one.</summary>
    public const int MaxEarlier = 16;

    /// <summary>
    /// Reports replaced less than <see cref="PagesLast"/> before the current one was made, newest first, with when they
    /// were replaced: a client paging through one finishes it.
    /// </summary>
    public ImmutableArray<(DriftReport Report, DateTimeOffset ReplacedAt)> Earlier { get; init; } = [];

    /// <summary>This state with <paramref name="report"/> in force, the one it replaces kept for its pages.</summary>
    public DriftState WithReport(DriftReport? report) =>
        ReferenceEquals(report, Report) ? this : this with
        {
            Report = report,
            Earlier = Report is null || report is null
                ? []
                : [(Report, report.ScannedAt), .. Earlier.Where(e => e.ReplacedAt > report.ScannedAt - PagesLast).Take(MaxEarlier - 1)],
        };

    public static DriftState Off { get; } = new(false, false, null, null, "the drift scanner is off (AdmissionGuard:Drift:Enabled)", null);

    public static DriftState Electing { get; } = new(true, false, null, null, "waiting for the drift Lease", null);
}

/// <summary>
/// Holds the current <see cref="DriftState"/>, for /drift and for metrics: one volatile read gives an
/// immutable snapshot. <see cref="Current"/> is null on replicas that do not report.
/// </summary>
public sealed class DriftStore
{
    private DriftState _state;

    public DriftStore(bool enabled) => _state = enabled ? DriftState.Electing : DriftState.Off;

    public DriftState State => Volatile.Read(ref _state);

    /// <summary>The report of this replica, when it is the one that reports.</summary>
    public DriftReport? Current => State is { Reporting: true, Report: { } report } ? report : null;

    internal void Update(Func<DriftState, DriftState> change)
    {
        // The scanner and the election callbacks both write; a compare-and-swap keeps either from losing the other's change.
        while (true)
        {
            var before = State;
            if (Interlocked.CompareExchange(ref _state, change(before), before) == before)
            {
                return;
            }
        }
    }
}
