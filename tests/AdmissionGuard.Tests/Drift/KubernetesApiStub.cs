using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using AdmissionGuard.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace AdmissionGuard.Tests.Drift;

/// <summary>
/// A STUB of the Kubernetes API server, not a real one (none runs on the test machines): plain HTTP
/// on loopback, answering only what KubernetesClient asks for drift: the list (with limit/continue)
/// and watch of NetworkPolicies in all namespaces, get/create/replace of coordination.k8s.io
/// Leases, create/merge-patch of events.k8s.io Events (KubernetesApiStub.Events.cs) and
/// list/create/replace/delete of wgpolicyk8s.io PolicyReports (KubernetesApiStub.PolicyReports.cs).
/// Watches replay the events after the requested resource version, like the real one.
/// </summary>
/// <remarks>
/// Its answers have the shapes a real API server gave, recorded in Fixtures/apiserver/cluster: lists as
/// <c>list-01-limit-2-page1.json</c> and <c>list-02-limit-2-page2.json</c> (items without kind and apiVersion;
/// <c>continue</c> and <c>remainingItemCount</c> only before the last page), watch events as
/// <c>watch-01-create-modify-delete.jsonl</c> (whole objects, with kind and apiVersion), an expired watch as
/// <c>watch-02-too-old-resourceversion-1.jsonl</c> (HTTP 200, then one ERROR event), refusals as
/// <c>errors-403-forbidden-list.json</c>, <c>errors-403-forbidden-get.json</c>, <c>errors-404-not-found.json</c>
/// and <c>lease-04-stale-update-409.json</c> (Status objects whose <c>details.kind</c> is the resource).
/// The objects it serves are the tests'.
/// </remarks>
public sealed partial class KubernetesApiStub : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, JsonObject> _policies = new(StringComparer.Ordinal);
    private readonly List<(long Version, string Line)> _events = [];
    private readonly Dictionary<string, JsonObject> _leases = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _version = 1000;
    private bool _expireNextWatch;
    private int _dropped;
    private bool _abortOnDrop;

    private KubernetesApiStub(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    /// <summary>Every request, as "METHOD path?query".</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>When set, lists answer this status with a Status object, as an API server refusing them would.</summary>
    public HttpStatusCode? FailLists { get; set; }

    /// <summary>When set, watches answer this status with a Status object, as for an account that may list but not watch.</summary>
    public HttpStatusCode? FailWatches { get; set; }

    public int Lists => Requests.Count(r => r.StartsWith("GET /apis/networking.k8s.io/v1/networkpolicies", StringComparison.Ordinal) && !r.Contains("watch=true", StringComparison.Ordinal));

    /// <summary>When set, Lease requests answer this status, as for a service account without the Role.</summary>
    public HttpStatusCode? FailLeases { get; set; }

    /// <summary>The resource version the last list answered with.</summary>
    public long LastListVersion { get; private set; }

    public IReadOnlyList<string> Watches => [.. Requests.Where(r => r.Contains("watch=true", StringComparison.Ordinal))];

    public static Task<KubernetesApiStub> StartAsync(IEnumerable<JsonObject> policies)
    {
        List<JsonObject> objects = [.. policies];
        return Ports.RetryWhenTaken(() => StartOnceAsync(objects));
    }

    private static async Task<KubernetesApiStub> StartOnceAsync(IEnumerable<JsonObject> policies)
    {
        var url = $"http://127.0.0.1:{Ports.Free()}";
        var builder = WebApplication.CreateSlimBuilder();

        // Not the guard's appsettings.json (beside the tests) nor the environment: only the URL below.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        var stub = new KubernetesApiStub(builder.Build(), url);
        foreach (var policy in policies)
        {
            stub.Apply(policy);
        }

        const string Policies = "/apis/networking.k8s.io/v1/networkpolicies";
        const string Leases = "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases";
        stub._app.Use((context, next) =>
        {
            stub.Requests.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
            return next(context);
        });
        stub._app.MapGet(Policies, (HttpContext context) => context.Request.Query["watch"] == "true" ? stub.WatchAsync(context) : stub.List(context).ExecuteAsync(context));
        stub._app.MapGet(Leases + "/{name}", (string ns, string name) => stub.Lease(ns, name, null, create: false));
        stub._app.MapPost(Leases, async (string ns, HttpRequest request) =>
        {
            var lease = (await JsonNode.ParseAsync(request.Body))!.AsObject();
            return stub.Lease(ns, lease["metadata"]!["name"]!.GetValue<string>(), lease, create: true);
        });
        stub._app.MapPut(Leases + "/{name}", async (string ns, string name, HttpRequest request) =>
            stub.Lease(ns, name, (await JsonNode.ParseAsync(request.Body))!.AsObject(), create: false));
        stub.MapPolicyWrites();
        stub.MapGitOpsObjects();
        stub.MapEvents();
        stub.MapPolicyReports();
        try
        {
            await stub._app.StartAsync();
        }
        catch (IOException)
        {
            await stub._app.DisposeAsync();
            throw;
        }

        return stub;
    }

    /// <summary>A kubeconfig that points at the stub (a token, since KubernetesClient wants credentials).</summary>
    public string WriteKubeconfig(string directory, string context = "stub") => WriteKubeconfig(directory, Url, context);

    /// <summary>A kubeconfig for any server URL; a free port nobody listens on makes an unreachable cluster.</summary>
    public static string WriteKubeconfig(string directory, string server, string context)
    {
        var path = Path.Combine(directory, $"kubeconfig-{context}");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: stub
              cluster: {"{"}server: "{server}"{"}"}
            users:
            - name: drift-reader
              user: {"{"}token: not-a-real-token{"}"}
            contexts:
            - name: {context}
              context: {"{"}cluster: stub, user: drift-reader{"}"}
            current-context: {context}
            """);
        return path;
    }

    /// <summary>Creates or replaces a policy; watchers get ADDED or MODIFIED.</summary>
    public void Apply(JsonObject policy)
    {
        lock (_gate)
        {
            var key = $"{policy["metadata"]!["namespace"]}/{policy["metadata"]!["name"]}";
            var type = _policies.ContainsKey(key) ? "MODIFIED" : "ADDED";
            policy["metadata"]!["resourceVersion"] = (++_version).ToString();
            _policies[key] = policy;
            Publish(type, policy);
        }
    }

    public void Delete(string ns, string name)
    {
        lock (_gate)
        {
            if (_policies.Remove($"{ns}/{name}", out var policy))
            {
                policy["metadata"]!["resourceVersion"] = (++_version).ToString();
                Publish("DELETED", policy);
            }
        }
    }

    /// <summary>Ends every open watch: cleanly (the server closes the stream), or by aborting the connection.</summary>
    public void DropWatches(bool abort = false)
    {
        lock (_gate)
        {
            _dropped++;
            _abortOnDrop = abort;
            Signal();
        }
    }

    /// <summary>Forgets the event history and ends the watches: the next watch gets 410 Gone, so clients must list again.</summary>
    public void ExpireWatches()
    {
        lock (_gate)
        {
            _expireNextWatch = true;
            _events.Clear();
        }

        DropWatches();
    }

    public async ValueTask DisposeAsync()
    {
        DropWatches(abort: true);
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private IResult List(HttpContext context)
    {
        if (FailLists is { } status)
        {
            // errors-403-forbidden-list.json, listing in all namespaces.
            return Status((int)status, status.ToString(),
                "networkpolicies.networking.k8s.io is forbidden: User \"system:serviceaccount:ci:drift\" cannot list resource \"networkpolicies\" in API group \"networking.k8s.io\" at the cluster scope",
                new JsonObject { ["group"] = "networking.k8s.io", ["kind"] = "networkpolicies" });
        }

        var limit = int.TryParse(context.Request.Query["limit"], out var l) ? l : int.MaxValue;
        var offset = int.TryParse(context.Request.Query["continue"], out var c) ? c : 0;
        lock (_gate)
        {
            var page = _policies.Values.Skip(offset).Take(limit).Select(ListItem).ToArray();
            var remaining = _policies.Count - offset - page.Length;
            LastListVersion = _version;

            // list-01-limit-2-page1.json and list-02-limit-2-page2.json.
            var metadata = new JsonObject { ["resourceVersion"] = _version.ToString() };
            if (remaining > 0)
            {
                metadata["continue"] = (offset + page.Length).ToString();
                metadata["remainingItemCount"] = remaining;
            }

            return Results.Json(new JsonObject
            {
                ["kind"] = "NetworkPolicyList",
                ["apiVersion"] = "networking.k8s.io/v1",
                ["metadata"] = metadata,
                ["items"] = new JsonArray(page),
            });
        }
    }

    private async Task WatchAsync(HttpContext context)
    {
        if (FailWatches is { } refused)
        {
            // errors-403-forbidden-list.json, for the watch verb.
            await Status((int)refused, refused.ToString(),
                "networkpolicies.networking.k8s.io is forbidden: User \"system:serviceaccount:ci:drift\" cannot watch resource \"networkpolicies\" in API group \"networking.k8s.io\" at the cluster scope",
                new JsonObject { ["group"] = "networking.k8s.io", ["kind"] = "networkpolicies" }).ExecuteAsync(context);
            return;
        }

        var sent = long.Parse(context.Request.Query["resourceVersion"].ToString() is { Length: > 0 } v ? v : "0");
        context.Response.ContentType = "application/json";
        int dropped;
        bool expired;
        long oldest;
        lock (_gate)
        {
            (dropped, expired, _expireNextWatch, oldest) = (_dropped, _expireNextWatch, false, _version);
        }

        if (expired)
        {
            // watch-02-too-old-resourceversion-1.jsonl: HTTP 200, then one ERROR event.
            var gone = new JsonObject
            {
                ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure",
                ["message"] = $"too old resource version: {sent} ({oldest})", ["reason"] = "Expired", ["code"] = 410,
            };
            await context.Response.WriteAsync(new JsonObject { ["type"] = "ERROR", ["object"] = gone }.ToJsonString() + "\n");
            return;
        }

        while (!context.RequestAborted.IsCancellationRequested)
        {
            List<(long Version, string Line)> pending;
            Task changed;
            bool drop;
            bool abort;
            lock (_gate)
            {
                pending = [.. _events.Where(e => e.Version > sent)];
                (changed, drop, abort) = (_changed.Task, _dropped != dropped, _abortOnDrop);
            }

            foreach (var (version, line) in pending)
            {
                await context.Response.WriteAsync(line + "\n");
                sent = version;
            }

            await context.Response.Body.FlushAsync();
            if (drop)
            {
                if (abort)
                {
                    context.Abort();
                }

                return;
            }

            try
            {
                await changed.WaitAsync(context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private IResult Lease(string ns, string name, JsonObject? body, bool create)
    {
        var details = new JsonObject { ["name"] = name, ["group"] = "coordination.k8s.io", ["kind"] = "leases" };
        if (FailLeases is { } refusal)
        {
            // errors-403-forbidden-get.json, for a Lease.
            return Status((int)refusal, refusal.ToString(), $"leases.coordination.k8s.io \"{name}\" is forbidden: User \"system:serviceaccount:admissionguard:admissionguard\" cannot get resource \"leases\" in API group \"coordination.k8s.io\" in the namespace \"{ns}\"", details);
        }

        lock (_gate)
        {
            var key = $"{ns}/{name}";
            var exists = _leases.TryGetValue(key, out var current);
            if (body is null)
            {
                // errors-404-not-found.json, for a Lease.
                return exists ? Results.Json(current) : Status(404, "NotFound", $"leases.coordination.k8s.io \"{name}\" not found", details);
            }

            if (create ? exists : !exists || current!["metadata"]!["resourceVersion"]?.ToString() != body["metadata"]!["resourceVersion"]?.ToString())
            {
                // lease-04-stale-update-409.json.
                return Status(409, "Conflict", $"Operation cannot be fulfilled on leases.coordination.k8s.io \"{name}\": the object has been modified; please apply your changes to the latest version and try again", details);
            }

            body["metadata"]!["namespace"] = ns;
            body["metadata"]!["resourceVersion"] = (++_version).ToString();
            _leases[key] = body;
            return Results.Json(body, statusCode: create ? 201 : 200);
        }
    }

    /// <summary>The holder of a Lease, as the stub stores it.</summary>
    public string? LeaseHolder(string ns, string name)
    {
        lock (_gate)
        {
            return _leases.TryGetValue($"{ns}/{name}", out var lease) ? lease["spec"]?["holderIdentity"]?.GetValue<string>() : null;
        }
    }

    /// <summary>A list's item: the object without kind and apiVersion, which only the list names.</summary>
    private static JsonObject ListItem(JsonObject policy)
    {
        var item = policy.DeepClone().AsObject();
        item.Remove("kind");
        item.Remove("apiVersion");
        return item;
    }

    /// <summary>watch-01-create-modify-delete.jsonl: each event's object is whole, with kind and apiVersion.</summary>
    private void Publish(string type, JsonObject policy)
    {
        _events.Add((_version, new JsonObject { ["type"] = type, ["object"] = policy.DeepClone() }.ToJsonString()));
        Signal();
    }

    private void Signal()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.SetResult();
    }

    /// <summary>The next resource version of any object the stub keeps (one counter, as etcd's revision).</summary>
    private string NextVersion()
    {
        lock (_gate)
        {
            return (++_version).ToString();
        }
    }

    private static IResult Status(int code, string reason, string message, JsonObject details) => Results.Json(
        new JsonObject
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure",
            ["message"] = message, ["reason"] = reason, ["details"] = details, ["code"] = code,
        },
        statusCode: code);
}
