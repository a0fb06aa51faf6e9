using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Core.Reporting;
using AdmissionGuard.Observability;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Polly;

namespace AdmissionGuard.Cluster;

/// <summary>
/// Records Kubernetes Events (<c>events.k8s.io/v1</c>) on NetworkPolicies, as the controller
/// <see cref="Controller"/>, so that <c>kubectl get events --field-selector involvedObject.name=NAME</c>
/// shows what happened to a policy. The same Event again (same object, reason and note) adds to that
/// Event's <c>series</c> instead of recording another: after a restart too, since the name comes from
/// what the Event says (<see cref="DriftEvent.Name"/>) and the API server answers 409 for a name it
/// has. Failures are counted (<c>admissionguard_events_total{result="failed"}</c>) and logged once per
/// kind; they are never thrown, so nothing that records an Event depends on it.
/// </summary>
public sealed class EventRecorder(
    IKubernetes client, string host, string instance, ResiliencePipeline pipeline, GuardMetrics metrics, TimeProvider clock, ILogger logger) : IDisposable
{
    public const string Controller = "admissionguard.io/drift-scanner";

    public const string FieldManager = "admissionguard";

    /// <summary>
    /// Events expire an hour after their last write (kube-apiserver <c>--event-ttl</c>); what is known of an
    /// Event not written for twice that long is forgotten. Should it still exist, 409 finds it again.
    /// </summary>
    public static readonly TimeSpan Forget = TimeSpan.FromHours(2);

    /// <summary>The API server's limit for <c>reportingInstance</c>.</summary>
    private const int InstanceLimit = 128;

    private readonly string _instance = instance.Length > InstanceLimit ? instance[..InstanceLimit] : instance;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, (int Count, DateTimeOffset At)> _series = new(StringComparer.Ordinal);
    private readonly FailureKinds _failures = new();

    public Task<bool> DriftDetectedAsync(DriftItem item, string? uid, CancellationToken cancel) => RecordAsync(DriftEvent.Detected(item), uid, cancel);

    public Task<bool> DriftChangedAsync(DriftItem item, string? uid, CancellationToken cancel) => RecordAsync(DriftEvent.Changed(item), uid, cancel);

    public Task<bool> DriftResolvedAsync(DriftItem item, string? uid, CancellationToken cancel) => RecordAsync(DriftEvent.Resolved(item), uid, cancel);

    /// <param name="action">What was done, e.g. <c>Apply</c> or <c>RequestSync</c>.</param>
    /// <param name="note">What was restored, from which commit; cut to 1 KiB.</param>
    public Task<bool> RemediatedAsync(PolicyKey policy, string? uid, string action, string note, CancellationToken cancel) =>
        RecordAsync(DriftEvent.Remediated(policy, action, note), uid, cancel);

    /// <summary>Records <paramref name="recorded"/>, or adds to its series when it was recorded before.</summary>
    /// <returns>False when the API server did not take it (already logged and counted).</returns>
    public async Task<bool> RecordAsync(DriftEvent recorded, string? uid, CancellationToken cancel)
    {
        var name = recorded.Name(uid);
        var reason = recorded.Reason.ToString();
        await _gate.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            var now = clock.GetUtcNow();
            foreach (var old in _series.Where(s => now - s.Value.At > Forget).Select(s => s.Key).ToList())
            {
                _series.Remove(old);
            }

            var result = await WriteAsync(recorded, name, uid, now, cancel).ConfigureAwait(false);
            metrics.EventRecorded(reason, result);
            if (_failures.Clear())
            {
                logger.LogInformation("Events on NetworkPolicies are recorded again ({Reason} on {Policy})", reason, recorded.Policy.ToString());
            }

            return true;
        }
        catch (Exception e) when (KubernetesApi.IsApiError(e) && !cancel.IsCancellationRequested)
        {
            metrics.EventRecorded(reason, "failed");
            if (_failures.IsNew(e))
            {
                var forbidden = e is HttpOperationException { Response.StatusCode: HttpStatusCode.Forbidden }
                    ? " The service account needs create and patch on events in API group events.k8s.io (deploy/base/rbac.yaml)."
                    : "";
                logger.LogWarning(
                    "Cannot record the {Reason} Event on NetworkPolicy {Policy}: {Error}.{Forbidden} Drift is still logged, served at /drift and in metrics; further failures like this one are only counted (admissionguard_events_total{{result=\"failed\"}})",
                    reason, recorded.Policy.ToString(), KubernetesApi.Describe(e, host), forbidden);
            }

            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <returns><c>created</c>, or <c>updated</c> for a series.</returns>
    private async Task<string> WriteAsync(DriftEvent recorded, string name, string? uid, DateTimeOffset now, CancellationToken cancel)
    {
        var ns = recorded.Policy.Namespace;
        if (_series.TryGetValue(name, out var known))
        {
            try
            {
                await PatchAsync(Series(known.Count + 1, now), name, ns, cancel).ConfigureAwait(false);
                _series[name] = (known.Count + 1, now);
                return "updated";
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
            {
                // Expired (or deleted): record it anew.
                _series.Remove(name);
            }
        }

        try
        {
            await pipeline.ExecuteAsync(
                async attempt => await client.EventsV1.CreateNamespacedEventAsync(
                    New(recorded, name, uid, now), ns, fieldManager: FieldManager, cancellationToken: attempt).ConfigureAwait(false),
                cancel).ConfigureAwait(false);
            _series[name] = (1, now);
            return "created";
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Conflict)
        {
            // Recorded before this process knew of it (a restart, another replica's term): an empty merge
            // patch reads it (the RBAC has no get), then the series grows by one.
            var existing = await PatchAsync([], name, ns, cancel).ConfigureAwait(false);
            var count = Math.Max(existing.Series?.Count ?? 1, 1) + 1;
            await PatchAsync(Series(count, now), name, ns, cancel).ConfigureAwait(false);
            _series[name] = (count, now);
            return "updated";
        }
    }

    private Eventsv1Event New(DriftEvent recorded, string name, string? uid, DateTimeOffset now) => new()
    {
        ApiVersion = "events.k8s.io/v1",
        Kind = "Event",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = recorded.Policy.Namespace },
        EventTime = MicroTime(now),
        Type = recorded.Type,
        Reason = recorded.Reason.ToString(),
        Action = recorded.Action,
        Note = recorded.Note,
        ReportingController = Controller,
        ReportingInstance = _instance,
        Regarding = new V1ObjectReference
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "NetworkPolicy",
            NamespaceProperty = recorded.Policy.Namespace,
            Name = recorded.Policy.Name,
            Uid = uid,
        },
    };

    /// <summary>
    /// <paramref name="now"/> to the microsecond, never on a whole second: KubernetesClient writes a whole second
    /// without its fraction, and the API server reads an Event's time only with six digits of one.
    /// </summary>
    private static DateTime MicroTime(DateTimeOffset now)
    {
        var micro = now.UtcDateTime.AddTicks(-(now.UtcTicks % 10));
        return micro.Ticks % TimeSpan.TicksPerSecond == 0 ? micro.AddTicks(10) : micro;
    }

    /// <summary>Only <c>series</c> may change on an Event (any other field is immutable: 422).</summary>
    private static JsonObject Series(int count, DateTimeOffset now) => new()
    {
        ["series"] = new JsonObject
        {
            ["count"] = count,
            ["lastObservedTime"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        },
    };

    private async Task<Eventsv1Event> PatchAsync(JsonObject patch, string name, string ns, CancellationToken cancel) =>
        await pipeline.ExecuteAsync(
            async attempt => await client.EventsV1.PatchNamespacedEventAsync(
                new V1Patch(patch, V1Patch.PatchType.MergePatch), name, ns, fieldManager: FieldManager, cancellationToken: attempt).ConfigureAwait(false),
            cancel).ConfigureAwait(false);

    public void Dispose() => _gate.Dispose();
}
