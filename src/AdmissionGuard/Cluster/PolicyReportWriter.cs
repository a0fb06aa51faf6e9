using System.Net;
using System.Text.Json.Nodes;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Core.Reporting;
using AdmissionGuard.Observability;
using k8s;
using k8s.Autorest;
using Polly;

namespace AdmissionGuard.Cluster;

/// <summary>
/// Keeps one <c>wgpolicyk8s.io</c> PolicyReport per governed namespace equal to the drift report
/// (<see cref="PolicyReportContent"/>), with few writes: a namespace's report is written only when its
/// content changed, and deleted when the namespace has no governed policy left. It learns what it wrote
/// before from one list when a term starts. Without the CRD it says so once and looks again every
/// <see cref="CrdRetry"/>; other failures are logged once per kind and retried after
/// <see cref="FailureRetry"/>. Nothing here is thrown: the drift report does not depend on it.
/// </summary>
internal sealed class PolicyReportWriter(
    IKubernetes client, string host, ResiliencePipeline pipeline, GuardMetrics metrics, TimeProvider clock, ILogger logger)
{
    public const string Setting = DriftOptions.Section + ":PolicyReports";

    public static readonly TimeSpan CrdRetry = TimeSpan.FromMinutes(10);

    public static readonly TimeSpan FailureRetry = TimeSpan.FromMinutes(1);

    private readonly FailureKinds _failures = new();

    /// <summary>What the cluster holds, by namespace, as this writer last read or wrote it; null until listed.</summary>
    private Dictionary<string, Written>? _written;

    private DateTimeOffset _notBefore = DateTimeOffset.MinValue;
    private bool _crdMissing;

    /// <summary>Another replica may have written meanwhile: read the reports again before the next write.</summary>
    public void BeginTerm() => _written = null;

    public async Task SyncAsync(DriftReport report, IReadOnlyDictionary<PolicyKey, string?> live, CancellationToken cancel)
    {
        var now = clock.GetUtcNow();
        if (now < _notBefore)
        {
            return;
        }

        try
        {
            _written ??= await ListAsync(cancel).ConfigureAwait(false);
            if (_crdMissing)
            {
                _crdMissing = false;
                logger.LogInformation("The API server serves {Group}/{Version} policyreports: writing a PolicyReport per governed namespace", PolicyReportJson.Group, PolicyReportJson.Version);
            }

            var desired = PolicyReportContent.For(report, live, _written.ToDictionary(w => w.Key, w => w.Value.Content), now);
            foreach (var (ns, content) in desired)
            {
                if (_written.TryGetValue(ns, out var before) && before.Content.Equals(content))
                {
                    continue;
                }

                var operation = before is null ? "create" : "update";
                var version = await WriteAsync(operation, content, before?.ResourceVersion, cancel).ConfigureAwait(false);
                _written[ns] = new Written(version, content);
            }

            foreach (var ns in _written.Keys.Where(ns => !desired.ContainsKey(ns)).ToList())
            {
                await DeleteAsync(ns, cancel).ConfigureAwait(false);
                _written.Remove(ns);
            }

            if (_failures.Clear())
            {
                logger.LogInformation("PolicyReports are written again");
            }
        }
        catch (Exception e) when (KubernetesApi.IsApiError(e) && !cancel.IsCancellationRequested)
        {
            Failed(e, now);
        }
    }

    private void Failed(Exception e, DateTimeOffset now)
    {
        if (e is HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound } http && !IsStatus(http))
        {
            // "404 page not found" as text: the API server does not serve the group, i.e. no CRD.
            _written = null;
            _notBefore = now + CrdRetry;
            if (!_crdMissing)
            {
                _crdMissing = true;
                logger.LogWarning(
                    "{Setting} is on, but the API server does not serve {Group}/{Version} policyreports (404): install the PolicyReport CRD (docs/drift.md). Drift is still reported; looking again every {Minutes} minutes",
                    Setting, PolicyReportJson.Group, PolicyReportJson.Version, CrdRetry.TotalMinutes);
            }

            return;
        }

        if (e is HttpOperationException { Response.StatusCode: HttpStatusCode.Conflict or HttpStatusCode.NotFound })
        {
            // Written or deleted by someone else since it was read: read them all again.
            _written = null;
        }

        _notBefore = now + FailureRetry;
        if (_failures.IsNew(e))
        {
            var forbidden = e is HttpOperationException { Response.StatusCode: HttpStatusCode.Forbidden }
                ? " The service account needs get, list, create, update, patch and delete on policyreports in API group wgpolicyk8s.io (deploy/components/policy-reports)."
                : "";
            logger.LogWarning(
                "Cannot write PolicyReports: {Error}.{Forbidden} Retrying in {Seconds}s; further failures like this one are only counted (admissionguard_policy_report_writes_total{{result=\"failure\"}})",
                KubernetesApi.Describe(e, host), forbidden, FailureRetry.TotalSeconds);
        }
    }

    /// <summary>The reports this guard wrote, in every namespace (one list, paged).</summary>
    private async Task<Dictionary<string, Written>> ListAsync(CancellationToken cancel)
    {
        var written = new Dictionary<string, Written>(StringComparer.Ordinal);
        string? next = null;
        do
        {
            var token = next;
            var page = await pipeline.ExecuteAsync(
                async attempt => await client.CustomObjects.ListCustomObjectForAllNamespacesAsync<JsonObject>(
                    PolicyReportJson.Group, PolicyReportJson.Version, PolicyReportJson.Plural,
                    labelSelector: $"{PolicyReportJson.ManagedByLabel}={PolicyReportJson.ManagedBy}",
                    continueParameter: token, limit: KubernetesApi.PageSize, cancellationToken: attempt).ConfigureAwait(false),
                cancel).ConfigureAwait(false);
            foreach (var item in page["items"]?.AsArray() ?? [])
            {
                if (item is JsonObject report && report["metadata"]?["name"]?.GetValue<string>() == PolicyReportContent.ReportName)
                {
                    var content = PolicyReportJson.Parse(report);
                    written[content.Namespace] = new Written(report["metadata"]?["resourceVersion"]?.GetValue<string>(), content);
                }
            }

            next = page["metadata"]?["continue"]?.GetValue<string>();
        }
        while (!string.IsNullOrEmpty(next));

        return written;
    }

    /// <returns>The resource version written, for the next update.</returns>
    private async Task<string?> WriteAsync(string operation, NamespacePolicyReport content, string? resourceVersion, CancellationToken cancel)
    {
        var body = PolicyReportJson.ToObject(content, resourceVersion);
        try
        {
            var answer = await pipeline.ExecuteAsync(
                async attempt => operation == "create"
                    ? await client.CustomObjects.CreateNamespacedCustomObjectAsync<JsonObject>(
                        body, PolicyReportJson.Group, PolicyReportJson.Version, content.Namespace, PolicyReportJson.Plural,
                        fieldManager: EventRecorder.FieldManager, fieldValidation: "Strict", cancellationToken: attempt).ConfigureAwait(false)
                    : await client.CustomObjects.ReplaceNamespacedCustomObjectAsync<JsonObject>(
                        body, PolicyReportJson.Group, PolicyReportJson.Version, content.Namespace, PolicyReportJson.Plural, PolicyReportContent.ReportName,
                        fieldManager: EventRecorder.FieldManager, fieldValidation: "Strict", cancellationToken: attempt).ConfigureAwait(false),
                cancel).ConfigureAwait(false);
            metrics.PolicyReportWritten(operation, succeeded: true);
            if (operation == "create")
            {
                logger.LogInformation("PolicyReport {Namespace}/{Name} created: {Pass} pass, {Fail} fail", content.Namespace, PolicyReportContent.ReportName, content.Pass, content.Fail);
            }

            return answer["metadata"]?["resourceVersion"]?.GetValue<string>();
        }
        catch (Exception e) when (KubernetesApi.IsApiError(e))
        {
            metrics.PolicyReportWritten(operation, succeeded: false);
            throw;
        }
    }

    private async Task DeleteAsync(string ns, CancellationToken cancel)
    {
        try
        {
            await pipeline.ExecuteAsync(
                async attempt => await client.CustomObjects.DeleteNamespacedCustomObjectAsync<JsonObject>(
                    PolicyReportJson.Group, PolicyReportJson.Version, ns, PolicyReportJson.Plural, PolicyReportContent.ReportName, cancellationToken: attempt).ConfigureAwait(false),
                cancel).ConfigureAwait(false);
            metrics.PolicyReportWritten("delete", succeeded: true);
            logger.LogInformation("PolicyReport {Namespace}/{Name} deleted: the namespace has no governed NetworkPolicy left", ns, PolicyReportContent.ReportName);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound && IsStatus(e))
        {
            // Already gone.
            metrics.PolicyReportWritten("delete", succeeded: true);
        }
        catch (Exception e) when (KubernetesApi.IsApiError(e))
        {
            metrics.PolicyReportWritten("delete", succeeded: false);
            throw;
        }
    }

    /// <summary>A Status object (an object not found) rather than the text of a path the API server does not serve.</summary>
    private static bool IsStatus(HttpOperationException e) => e.Response?.Content?.TrimStart().StartsWith('{') == true;

    private sealed record Written(string? ResourceVersion, NamespacePolicyReport Content);
}
