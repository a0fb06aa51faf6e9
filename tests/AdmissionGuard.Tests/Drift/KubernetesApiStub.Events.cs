using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AdmissionGuard.Tests.Drift;

/// <summary>
/// events.k8s.io/v1 Events: create (POST) and merge patch (PATCH), in the shapes of
/// <c>events-01-created.json</c> (the created Event: the request's fields, plus uid, resourceVersion,
/// creationTimestamp, managedFields, and <c>deprecatedSource: {}</c>, <c>deprecatedFirstTimestamp: null</c>,
/// <c>deprecatedLastTimestamp: null</c>, in the server's key order) and <c>events-02-updated-series.json</c>
/// (the same with <c>series</c> after <c>eventTime</c>). A patch that changes any field but <c>series</c>
/// is refused as <c>events-07-update-note-immutable-422.json</c> refuses a new note.
/// </summary>
public sealed partial class KubernetesApiStub
{
    private const string EventsPath = "/apis/events.k8s.io/v1/namespaces/{ns}/events";

    /// <summary>Field order of a served Event (events-01/02).</summary>
    private static readonly string[] EventKeys =
    [
        "kind", "apiVersion", "metadata", "eventTime", "series", "reportingController", "reportingInstance", "action", "reason",
        "regarding", "note", "type", "deprecatedSource", "deprecatedFirstTimestamp", "deprecatedLastTimestamp",
    ];

    private readonly Dictionary<string, JsonObject> _kubeEvents = [];

    /// <summary>When set, Event requests answer this status, as for a service account without create/patch on events.</summary>
    public HttpStatusCode? FailEvents { get; set; }

    /// <summary>The Events the stub holds, as it would serve them, by namespace and name.</summary>
    public IReadOnlyList<JsonObject> KubeEvents
    {
        get
        {
            lock (_gate)
            {
                return [.. _kubeEvents.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => e.Value.DeepClone().AsObject())];
            }
        }
    }

    public int EventCreates => Requests.Count(r => r.StartsWith("POST /apis/events.k8s.io/", StringComparison.Ordinal));

    public int EventPatches => Requests.Count(r => r.StartsWith("PATCH /apis/events.k8s.io/", StringComparison.Ordinal));

    private void MapEvents()
    {
        _app.MapPost(EventsPath, async (string ns, HttpRequest request) => CreateEvent(ns, (await JsonNode.ParseAsync(request.Body))!.AsObject()));
        _app.MapPatch(EventsPath + "/{name}", async (string ns, string name, HttpRequest request) => PatchEvent(ns, name, (await JsonNode.ParseAsync(request.Body))!.AsObject()));
    }

    private IResult CreateEvent(string ns, JsonObject body)
    {
        var name = body["metadata"]!["name"]!.GetValue<string>();
        if (EventRefusal(ns, name, "create") is { } refusal)
        {
            return refusal;
        }

        lock (_gate)
        {
            var key = $"{ns}/{name}";
            if (_kubeEvents.ContainsKey(key))
            {
                // Not recorded: the Status of lease-04-stale-update-409.json with the reason and message of AlreadyExists.
                return Status(409, "AlreadyExists", $"events.events.k8s.io \"{name}\" already exists", EventDetails(name));
            }

            var created = body.DeepClone().AsObject();
            created["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
                ["uid"] = Guid.NewGuid().ToString(),
                ["resourceVersion"] = NextVersion(),
                ["creationTimestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"),
                ["managedFields"] = new JsonArray(new JsonObject { ["manager"] = "admissionguard", ["operation"] = "Update", ["apiVersion"] = "events.k8s.io/v1" }),
            };
            created["deprecatedSource"] = new JsonObject();
            created["deprecatedFirstTimestamp"] = null;
            created["deprecatedLastTimestamp"] = null;
            _kubeEvents[key] = Ordered(created, EventKeys);
            return Results.Json(_kubeEvents[key], statusCode: 201);
        }
    }

    private IResult PatchEvent(string ns, string name, JsonObject patch)
    {
        if (EventRefusal(ns, name, "patch") is { } refusal)
        {
            return refusal;
        }

        lock (_gate)
        {
            var key = $"{ns}/{name}";
            if (!_kubeEvents.TryGetValue(key, out var current))
            {
                // errors-404-not-found.json, for an Event.
                return Status(404, "NotFound", $"events.events.k8s.io \"{name}\" not found", EventDetails(name));
            }

            var patched = Merge(current, patch)!.AsObject();
            foreach (var field in EventKeys.Where(k => k is not "series" and not "metadata"))
            {
                if (!JsonNode.DeepEquals(current[field], patched[field]))
                {
                    // events-07-update-note-immutable-422.json: the core v1 field name (note -> message), no group in details.
                    var coreField = field == "note" ? "message" : field;
                    var invalid = $"Invalid value: {patched[field]?.ToJsonString()}: field is immutable";
                    return Status(422, "Invalid", $"Event \"{name}\" is invalid: {coreField}: {invalid}", new JsonObject
                    {
                        ["name"] = name,
                        ["kind"] = "Event",
                        ["causes"] = new JsonArray(new JsonObject { ["reason"] = "FieldValueInvalid", ["message"] = invalid, ["field"] = coreField }),
                    });
                }
            }

            if (!JsonNode.DeepEquals(current, patched))
            {
                patched["metadata"]!["resourceVersion"] = NextVersion();
            }

            _kubeEvents[key] = Ordered(patched, EventKeys);
            return Results.Json(_kubeEvents[key]);
        }
    }

    private IResult? EventRefusal(string ns, string name, string verb) => FailEvents is { } refusal
        // errors-403-forbidden-get.json, for an Event.
        ? Status((int)refusal, refusal.ToString(), $"events.events.k8s.io \"{name}\" is forbidden: User \"system:serviceaccount:admissionguard:admissionguard\" cannot {verb} resource \"events\" in API group \"events.k8s.io\" in the namespace \"{ns}\"", EventDetails(name))
        : null;

    private static JsonObject EventDetails(string name) => new() { ["name"] = name, ["group"] = "events.k8s.io", ["kind"] = "events" };

    /// <summary>JSON merge patch (RFC 7386), as the API server applies <c>application/merge-patch+json</c>.</summary>
    private static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject changes)
        {
            return patch?.DeepClone();
        }

        var merged = target is JsonObject existing ? existing.DeepClone().AsObject() : [];
        foreach (var (key, value) in changes)
        {
            if (value is null)
            {
                merged.Remove(key);
            }
            else
            {
                var before = merged[key]?.DeepClone();
                merged[key] = Merge(before, value);
            }
        }

        return merged;
    }

    /// <summary>The object with its keys in <paramref name="order"/>, absent ones left out, others after.</summary>
    private static JsonObject Ordered(JsonObject source, string[] order)
    {
        var ordered = new JsonObject();
        foreach (var key in order.Where(source.ContainsKey).Concat(source.Select(p => p.Key).Where(k => !order.Contains(k))).ToList())
        {
            ordered[key] = source[key]?.DeepClone();
        }

        return ordered;
    }
}
