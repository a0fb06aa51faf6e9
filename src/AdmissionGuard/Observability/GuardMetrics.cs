using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Cluster;
using AdmissionGuard.Git;
using Prometheus;

namespace AdmissionGuard.Observability;

/// <summary>
/// The Prometheus metrics of one server, in its own registry. Label children for decisions are
/// created up front, so counting a decision on the hot path is an array lookup and an increment.
/// </summary>
public sealed class GuardMetrics
{
    private static readonly string[] Results = ["allowed", "denied", "warned", "break-glass"];
    private static readonly Exemplar.LabelKey TraceIdKey = Exemplar.Key("trace_id");

    private readonly Counter.Child[,,] _decisions;
    private readonly Histogram _validateDuration;
    private readonly Counter.Child _badRequests;
    private readonly Counter.Child _refreshSucceeded;
    private readonly Counter.Child _refreshFailed;
    private readonly Counter _renderFailures;
    private readonly Counter _remediations;
    private readonly Counter _events;
    private readonly Counter _policyReportWrites;

    /// <param name="certificate">The webhook's serving certificate, when it is read from PEM files (null otherwise).</param>
    public GuardMetrics(BaselineStore store, DriftStore drift, TimeProvider clock, Hosting.CertificateReloader? certificate = null)
    {
        Registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        var factory = Metrics.WithCustomRegistry(Registry);

        var decisions = factory.CreateCounter(
            "admissionguard_decisions_total", "Admission decisions by operation, result (allowed, denied, warned, break-glass) and mode.", "operation", "result", "mode");
        var operations = Enum.GetValues<Operation>();
        var modes = Enum.GetValues<GuardMode>();
        _decisions = new Counter.Child[operations.Length, Results.Length, modes.Length];
        foreach (var operation in operations)
        {
            for (var result = 0; result < Results.Length; result++)
            {
                foreach (var mode in modes)
                {
                    _decisions[(int)operation, result, (int)mode] = decisions.WithLabels(operation.ToString().ToUpperInvariant(), Results[result], mode.ToString());
                }
            }
        }

        _validateDuration = factory.CreateHistogram(
            "admissionguard_validate_duration_seconds", "Time to answer POST /validate, from request to response written.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.00005, 2, 16) });
        _badRequests = factory.CreateCounter("admissionguard_bad_requests_total", "Requests to /validate answered 400.").WithLabels();
        var refreshes = factory.CreateCounter("admissionguard_baseline_refresh_total", "Baseline refreshes from Git by result (success, failure).", "result");
        _refreshSucceeded = refreshes.WithLabels("success");
        _refreshFailed = refreshes.WithLabels("failure");

        var info = factory.CreateGauge("admissionguard_baseline_info", "The baseline in force: 1 for its commit, ref and source (git or persisted).", "commit", "ref", "source");
        var age = factory.CreateGauge("admissionguard_baseline_age_seconds", "Seconds since the baseline in force was loaded.");
        var objects = factory.CreateGauge("admissionguard_baseline_objects", "NetworkPolicies declared by the baseline in force.");
        var failures = factory.CreateGauge("admissionguard_baseline_consecutive_failures", "Refreshes that failed in a row.");
        // Absent until Git first answers: a baseline that Git never confirmed (persisted, or none) has no such time.
        var lastSuccess = factory.CreateGauge(
            "admissionguard_baseline_last_success_timestamp_seconds",
            "Unix time of the last refresh that reached Git and confirmed or replaced the baseline in force (re-fetching the same commit counts; the baseline's age does not move then).",
            new GaugeConfiguration { SuppressInitialValue = true });
        Registry.AddBeforeCollectCallback(() =>
        {
            var state = store.State;
            foreach (var labels in info.GetAllLabelValues().ToList())
            {
                info.RemoveLabelled(labels);
            }

            if (state.Baseline is { } baseline)
            {
                info.WithLabels(baseline.Commit, baseline.Ref, state.Source).Set(1);
                age.Set((clock.GetUtcNow() - baseline.LoadedAt).TotalSeconds);
                objects.Set(baseline.Count);
            }

            failures.Set(state.ConsecutiveFailures);
            if (state.LastSuccessAt is { } succeeded)
            {
                lastSuccess.Set(succeeded.ToUnixTimeMilliseconds() / 1000.0);
            }
        });

        if (certificate is not null)
        {
            var expiry = factory.CreateGauge(
                "admissionguard_serving_certificate_expiry_timestamp_seconds",
                "Unix time at which the webhook's serving certificate in force expires (its notAfter); follows a reloaded certificate.");
            Registry.AddBeforeCollectCallback(() => expiry.Set(certificate.NotAfter.ToUnixTimeSeconds()));
        }

        var renderSeconds = factory.CreateGauge("admissionguard_source_render_seconds", "How long each rendered source of the baseline in force took to render.", "source");
        var sourcePolicies = factory.CreateGauge("admissionguard_source_policies", "NetworkPolicies each source of the baseline in force declares.", "source");
        var notRendered = factory.CreateGauge("admissionguard_source_not_rendered", "1 for each discovered source the guard does not render (Helm, a plugin, another repository); see /status.", "source");
        _remediations = factory.CreateCounter("admissionguard_remediations_total", "Remediations of lasting drift by the reporting replica, by action (update, create, sync) and result (success, failure).", "action", "result");
        _renderFailures = factory.CreateCounter("admissionguard_source_render_failures_total", "Renders that failed and made a commit invalid, by source.", "source");
        Registry.AddBeforeCollectCallback(() =>
        {
            var sources = store.State.Sources;
            foreach (var gauge in new[] { renderSeconds, sourcePolicies, notRendered })
            {
                foreach (var labels in gauge.GetAllLabelValues().ToList())
                {
                    gauge.RemoveLabelled(labels);
                }
            }

            foreach (var source in sources)
            {
                sourcePolicies.WithLabels(source.Name).Set(source.Policies);
                if (source.RenderSeconds is { } seconds)
                {
                    renderSeconds.WithLabels(source.Name).Set(seconds);
                }

                if (source.Problem is not null)
                {
                    notRendered.WithLabels(source.Name).Set(1);
                }
            }
        });

        _events = factory.CreateCounter(
            "admissionguard_events_total",
            "Kubernetes Events on NetworkPolicies by reason (DriftDetected, DriftChanged, DriftResolved, Remediated) and result (created, updated: added to the series of the same Event, failed).",
            "reason", "result");
        _policyReportWrites = factory.CreateCounter(
            "admissionguard_policy_report_writes_total",
            "Writes of wgpolicyk8s.io PolicyReports by operation (create, update, delete) and result (success, failure); a report is written only when its content changed.",
            "operation", "result");

        // Only the replica that holds the drift Lease has a report; the others export no drift series.
        // admissionguard_drift_reporting says which replica that is, and is absent when the scanner is off.
        if (drift.State.Enabled)
        {
            var reporting = factory.CreateGauge(
                "admissionguard_drift_reporting",
                "1 on the replica that holds the drift Lease and has a drift report, 0 on the others (absent when the drift scanner is off).");
            Registry.AddBeforeCollectCallback(() => reporting.Set(drift.Current is null ? 0 : 1));
        }

        var driftItems = factory.CreateGauge("admissionguard_drift_items", "Drift between Git and the cluster by type (missing, unmanaged, modified), from the reporting replica.", "type");
        var breakGlassExpired = factory.CreateGauge(
            "admissionguard_drift_break_glass_expired", "Drifted NetworkPolicies whose break-glass has expired, from the reporting replica.",
            new GaugeConfiguration { SuppressInitialValue = true });
        Registry.AddBeforeCollectCallback(() =>
        {
            if (drift.Current is { } report)
            {
                driftItems.WithLabels("missing").Set(report.Missing);
                driftItems.WithLabels("unmanaged").Set(report.Unmanaged);
                driftItems.WithLabels("modified").Set(report.Modified);
                breakGlassExpired.Set(report.BreakGlassExpired);
            }
            else
            {
                foreach (var labels in driftItems.GetAllLabelValues().ToList())
                {
                    driftItems.RemoveLabelled(labels);
                }

                breakGlassExpired.Unpublish();
            }
        });
    }

    public CollectorRegistry Registry { get; }

    public void Decided(Operation operation, Decision decision) =>
        _decisions[(int)operation, ResultIndex(decision), (int)decision.Mode].Inc();

    /// <param name="elapsed">From request to response written.</param>
    /// <param name="traceId">The caller's trace id (a <c>traceparent</c> header), kept as the observation's exemplar so that
    /// a slow bucket leads to the API server's trace; null when the request was not traced.</param>
    public void ValidateTook(TimeSpan elapsed, string? traceId) =>
        _validateDuration.Observe(elapsed.TotalSeconds, traceId is null ? Exemplar.None : Exemplar.From(TraceIdKey.WithValue(traceId)));

    public void BadRequest() => _badRequests.Inc();

    public void RefreshSucceeded() => _refreshSucceeded.Inc();

    public void RefreshFailed() => _refreshFailed.Inc();

    public void RenderFailed(string source) => _renderFailures.WithLabels(source).Inc();

    public void Remediated(string action, string result) => _remediations.WithLabels(action, result).Inc();

    /// <param name="result"><c>created</c>, <c>updated</c> (a series) or <c>failed</c>.</param>
    public void EventRecorded(string reason, string result) => _events.WithLabels(reason, result).Inc();

    /// <param name="operation"><c>create</c>, <c>update</c> or <c>delete</c>.</param>
    public void PolicyReportWritten(string operation, bool succeeded) => _policyReportWrites.WithLabels(operation, succeeded ? "success" : "failure").Inc();

    private static int ResultIndex(Decision decision) =>
        decision.BreakGlassUsed ? 3 : decision.Warned ? 2 : decision.Allowed ? 0 : 1;
}
