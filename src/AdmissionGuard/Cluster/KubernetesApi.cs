using System.Net;
using System.Text.Json;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Core.Policy;
using k8s;
using k8s.Autorest;
using k8s.Exceptions;
using k8s.Models;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace AdmissionGuard.Cluster;

/// <summary>The live side cannot be read: a one-line reason, without credentials.</summary>
public sealed class ClusterException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Reaching the API server: client configuration (kubeconfig or in-cluster), a resilience pipeline
/// (per-attempt timeout, retries with jittered backoff on transient failures), paged lists of
/// NetworkPolicies, and one-line descriptions of what went wrong.
/// </summary>
public static class KubernetesApi
{
    public const int PageSize = 500;

    /// <summary>The client for a kubeconfig file (and context), or the in-cluster service account when none is given.</summary>
    /// <param name="kubeconfigSetting">How the user gives a kubeconfig (an option or a setting), for the messages.</param>
    /// <param name="outsideAPod">What to do when there is neither a kubeconfig nor a pod's service account.</param>
    public static KubernetesClientConfiguration Configuration(string? kubeconfig, string? context, string kubeconfigSetting, string outsideAPod)
    {
        try
        {
            if (kubeconfig is { Length: > 0 })
            {
                var file = Path.GetFullPath(kubeconfig);
                if (!File.Exists(file))
                {
                    throw new ClusterException($"kubeconfig not found: {file}");
                }

                return KubernetesClientConfiguration.BuildConfigFromConfigFile(file, context is { Length: > 0 } ? context : null);
            }

            if (context is { Length: > 0 })
            {
                throw new ClusterException($"a context needs a kubeconfig file ({kubeconfigSetting})");
            }

            if (!KubernetesClientConfiguration.IsInCluster())
            {
                throw new ClusterException($"not running in a Kubernetes pod: {outsideAPod}");
            }

            return KubernetesClientConfiguration.InClusterConfig();
        }
        catch (Exception e) when (e is KubeConfigException or YamlDotNet.Core.YamlException or IOException or UnauthorizedAccessException
            or System.Security.Cryptography.CryptographicException)
        {
            var where = kubeconfig is { Length: > 0 } ? $"kubeconfig {kubeconfig}" : "in-cluster configuration";
            throw new ClusterException($"{where}: {OneLine(e.Message)}", e);
        }
    }

    /// <summary>Retries transient failures (connection errors, timeouts, 429 and 5xx) with jittered exponential backoff; each attempt has a timeout.</summary>
    public static ResiliencePipeline Pipeline(int retries, TimeSpan firstDelay, TimeSpan attemptTimeout, TimeProvider clock) =>
        new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .Handle<HttpOperationException>(e => IsTransient(e.Response?.StatusCode)),
                MaxRetryAttempts = retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = firstDelay,
            })
            .AddTimeout(attemptTimeout)
            .Build();

    /// <summary>
    /// Every NetworkPolicy, page by page, each item given to <paramref name="read"/> as its page arrives (null: left out),
    /// and the resource version to watch from. Pages are read as JSON, not as the client's typed objects: an item is read
    /// where it lies in its page, without being written out and parsed again, and the API server's objects (with their
    /// managedFields and kubectl's last-applied copy) are never all live at once.
    /// </summary>
    public static async Task<(IReadOnlyList<T> Items, string ResourceVersion)> ListAsync<T>(
        IKubernetes client, ResiliencePipeline pipeline, Func<JsonElement, T?> read, CancellationToken cancel)
        where T : class
    {
        var items = new List<T>();
        string? next = null;
        string resourceVersion;
        do
        {
            var token = next;

            // A document, not an element: its memory is rented and given back when the page is read. An element is a copy
            // made for each page, about 3 MB of large-object heap for 500 policies, which only a full collection frees.
            using var document = await pipeline.ExecuteAsync(
                async attempt => await client.CustomObjects.ListClusterCustomObjectAsync<JsonDocument>(
                    "networking.k8s.io", "v1", "networkpolicies", continueParameter: token, limit: PageSize, cancellationToken: attempt).ConfigureAwait(false),
                cancel).ConfigureAwait(false);
            var page = document?.RootElement ?? default;
            if (page.ValueKind != JsonValueKind.Object)
            {
                throw new ClusterException($"the API server's list of NetworkPolicies is not an object but {page.ValueKind}");
            }

            if (page.TryGetProperty("items", out var pageItems) && pageItems.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in pageItems.EnumerateArray())
                {
                    if (read(item) is { } kept)
                    {
                        items.Add(kept);
                    }
                }
            }

            var metadata = page.TryGetProperty("metadata", out var value) && value.ValueKind == JsonValueKind.Object ? value : default;

            // What reading a page left (each policy read whole, then holding its declared one's parts instead of its own)
            // dies young: collected page by page, it never piles up across the list (at 50,000 policies the peak is 10-20
            // MiB lower, for 0.2-0.4 s more of the guard's time over the list).
            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
            next = Text(metadata, "continue");
            resourceVersion = Text(metadata, "resourceVersion") ?? "";
        }
        while (!string.IsNullOrEmpty(next));

        return (items, resourceVersion);
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>
    /// kubectl's copy of the whole object as last applied: often the largest part of a live policy, and one of the
    /// ignored metadata keys by default, so the drift scanner keeps it only when a decision can depend on it.
    /// </summary>
    public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>The canonical form of a policy as the API server serves it, with its managedFields summary.</summary>
    public static CanonicalPolicy Canonical(V1NetworkPolicy policy)
    {
        using var json = JsonDocument.Parse(KubernetesJson.Serialize(policy));
        return Canonical(json.RootElement);
    }

    /// <summary>As <see cref="Canonical(V1NetworkPolicy)"/>, from the object's JSON as the API server sent it.</summary>
    public static CanonicalPolicy Canonical(JsonElement policy)
    {
        var metadata = policy.ValueKind == JsonValueKind.Object && policy.TryGetProperty("metadata", out var value) ? value : default;
        try
        {
            return PolicyReader.Read(policy, live: true) with { Uid = Text(metadata, "uid") is { Length: > 0 } uid ? uid : null };
        }
        catch (PolicyFormatException e)
        {
            throw new ClusterException($"NetworkPolicy {Text(metadata, "namespace")}/{Text(metadata, "name")} from the API server cannot be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// As <see cref="Canonical(JsonElement)"/>, as the drift scanner keeps it: without <see cref="LastAppliedAnnotation"/>
    /// unless <paramref name="settings"/> compare it, and holding the parts it shares with its declared policy in
    /// <paramref name="baseline"/> as that policy's.
    /// </summary>
    public static CanonicalPolicy Canonical(JsonElement policy, Baseline? baseline, DecisionSettings settings) =>
        AsKept(Canonical(policy), baseline, settings);

    /// <summary>As <see cref="Canonical(JsonElement, Baseline?, DecisionSettings)"/>, for a watch event's object.</summary>
    public static CanonicalPolicy Canonical(V1NetworkPolicy policy, Baseline? baseline, DecisionSettings settings) =>
        AsKept(Canonical(policy), baseline, settings);

    private static CanonicalPolicy AsKept(CanonicalPolicy live, Baseline? baseline, DecisionSettings settings)
    {
        if (!settings.AnnotationMatters(LastAppliedAnnotation))
        {
            live = live with { Annotations = live.Annotations.Remove(LastAppliedAnnotation) };
        }

        return PolicySharing.WithPartsOf(live, baseline?.Find(live.Id)?.Policy);
    }

    /// <summary>What went wrong talking to the API server, in one line.</summary>
    public static string Describe(Exception e, string host) => OneLine(e switch
    {
        ClusterException => e.Message,
        HttpOperationException http => $"the Kubernetes API server {host} answered {(int?)http.Response?.StatusCode} {http.Response?.StatusCode}: {StatusMessage(http)}",
        KubernetesException status => $"the Kubernetes API server {host} answered: {status.Status?.Message ?? status.Message}",
        HttpRequestException => $"cannot reach the Kubernetes API server {host}: {e.Message}",
        TimeoutRejectedException => $"the Kubernetes API server {host} did not answer in time",
        _ => e.Message,
    });

    public static bool IsApiError(Exception e) =>
        e is HttpRequestException or HttpOperationException or KubernetesException or TimeoutRejectedException or IOException
            or ClusterException or JsonException or KubernetesClientException;

    private static bool IsTransient(HttpStatusCode? status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>The API server explains a refusal in a Status object's message.</summary>
    private static string StatusMessage(HttpOperationException e)
    {
        var body = e.Response?.Content;
        if (string.IsNullOrWhiteSpace(body))
        {
            return e.Message;
        }

        try
        {
            using var status = JsonDocument.Parse(body);
            if (status.RootElement.ValueKind == JsonValueKind.Object
                && status.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
            {
                return message.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Not a Status object (a proxy's error page): show the start of it.
        }

        return body.Length > 200 ? body[..200] + "..." : body;
    }

    private static string OneLine(string text) => Git.RedactedUrl.Redact(text).ReplaceLineEndings(" ").Trim();
}
