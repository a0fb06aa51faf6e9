using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AdmissionGuard.Tests.Drift;

/// <summary>
/// The stub's answers to writes of one NetworkPolicy (get, create, replace, delete), for repairs. As a real API server:
/// a replace on a stale <c>resourceVersion</c> is refused with 409 (the Status of <c>lease-04-stale-update-409.json</c>,
/// for networkpolicies), a get of an absent object is <c>errors-404-not-found.json</c>, a write with <c>dryRun=All</c> is
/// answered and not stored.
/// </summary>
public sealed partial class KubernetesApiStub
{
    private const string NamespacedPolicies = "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies";

    /// <summary>How many replaces to refuse with 409 first, as if someone else wrote the object each time.</summary>
    public int ConflictsBeforeReplace { get; set; }

    /// <summary>Applied to every stored write, as a mutating admission webhook would.</summary>
    public Action<JsonObject>? MutateWrites { get; set; }

    /// <summary>The query strings and bodies of the writes, in order: "POST ns/name?query".</summary>
    public List<(string Request, JsonObject? Body)> Writes { get; } = [];

    /// <summary>The stored policy, as a client would get it; null when absent.</summary>
    public JsonObject? Stored(string ns, string name)
    {
        lock (_gate)
        {
            return _policies.TryGetValue($"{ns}/{name}", out var policy) ? policy.DeepClone().AsObject() : null;
        }
    }

    private void MapPolicyWrites()
    {
        _app.MapGet(NamespacedPolicies + "/{name}", (string ns, string name) =>
            Stored(ns, name) is { } policy ? Results.Json(policy) : NotFound(ns, name));
        _app.MapPost(NamespacedPolicies, async (string ns, HttpRequest request) =>
        {
            var body = (await JsonNode.ParseAsync(request.Body))!.AsObject();
            var name = body["metadata"]!["name"]!.GetValue<string>();
            Record(request, ns, name, body);
            if (Stored(ns, name) is not null)
            {
                return Status(409, "AlreadyExists", $"networkpolicies.networking.k8s.io \"{name}\" already exists", Details(name));
            }

            return Store(request, ns, body, created: true);
        });
        _app.MapPut(NamespacedPolicies + "/{name}", async (string ns, string name, HttpRequest request) =>
        {
            var body = (await JsonNode.ParseAsync(request.Body))!.AsObject();
            Record(request, ns, name, body);
            var current = Stored(ns, name);
            if (current is null)
            {
                return NotFound(ns, name);
            }

            if (ConflictsBeforeReplace > 0 || current["metadata"]!["resourceVersion"]?.ToString() != body["metadata"]?["resourceVersion"]?.ToString())
            {
                ConflictsBeforeReplace = Math.Max(0, ConflictsBeforeReplace - 1);
                if (request.Query["dryRun"] != "All")
                {
                    // Someone else wrote it meanwhile: its resourceVersion moves on.
                    Apply(current);
                }

                return Status(409, "Conflict", $"Operation cannot be fulfilled on networkpolicies.networking.k8s.io \"{name}\": the object has been modified; please apply your changes to the latest version and try again", Details(name));
            }

            return Store(request, ns, body, created: false);
        });
        _app.MapDelete(NamespacedPolicies + "/{name}", (string ns, string name, HttpRequest request) =>
        {
            Record(request, ns, name, null);
            if (Stored(ns, name) is null)
            {
                return NotFound(ns, name);
            }

            if (request.Query["dryRun"] != "All")
            {
                Delete(ns, name);
            }

            return Results.Json(new JsonObject
            {
                ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success", ["details"] = Details(name),
            });
        });
    }

    private IResult Store(HttpRequest request, string ns, JsonObject body, bool created)
    {
        body["kind"] = "NetworkPolicy";
        body["apiVersion"] = "networking.k8s.io/v1";
        body["metadata"]!["namespace"] = ns;
        if (request.Query["dryRun"] == "All")
        {
            return Results.Json(body, statusCode: created ? 201 : 200);
        }

        MutateWrites?.Invoke(body);
        Apply(body);
        return Results.Json(Stored(ns, body["metadata"]!["name"]!.GetValue<string>()), statusCode: created ? 201 : 200);
    }

    private void Record(HttpRequest request, string ns, string name, JsonObject? body)
    {
        lock (_gate)
        {
            Writes.Add(($"{request.Method} {ns}/{name}{request.QueryString}", body?.DeepClone().AsObject()));
        }
    }

    /// <summary>errors-404-not-found.json, for a NetworkPolicy.</summary>
    private static IResult NotFound(string ns, string name) =>
        Status(404, "NotFound", $"networkpolicies.networking.k8s.io \"{name}\" not found", Details(name));

    private static JsonObject Details(string name) => new() { ["name"] = name, ["group"] = "networking.k8s.io", ["kind"] = "networkpolicies" };
}
