using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AdmissionGuard.Tests.Drift;

/// <summary>
/// wgpolicyk8s.io/v1alpha2 PolicyReports: list in all namespaces (with a label selector), create, replace
/// and delete. A created report has the shape of <c>policyreport-01-created.json</c> (keys in alphabetical
/// order, as the API server writes custom resources; creationTimestamp, generation, managedFields,
/// resourceVersion and uid added); a result or severity outside the CRD's enums is refused as
/// <c>policyreport-04-invalid-enum-422.json</c>. Without the CRD every path answers as
/// <c>policyreport-00-crd-absent-404.body.txt</c>: 404 with the text <c>404 page not found</c>. Not
/// recorded, so shaped like the Leases': the list (kind PolicyReportList), 409 for a stale replace
/// (lease-04-stale-update-409.json), 404 for a missing report (errors-404-not-found.json), and the
/// answer to a delete (the deleted object).
/// </summary>
public sealed partial class KubernetesApiStub
{
    private const string ReportsGroup = "/apis/wgpolicyk8s.io";
    private const string Reports = "/apis/wgpolicyk8s.io/v1alpha2/namespaces/{ns}/policyreports";

    private static readonly string[] ResultValues = ["pass", "fail", "warn", "error", "skip"];
    private static readonly string[] SeverityValues = ["critical", "high", "low", "medium", "info"];

    private readonly SortedDictionary<string, JsonObject> _reports = new(StringComparer.Ordinal);

    /// <summary>False: the cluster has no PolicyReport CRD.</summary>
    public bool PolicyReportCrd { get; set; } = true;

    /// <summary>The PolicyReports the stub holds, as it would serve them.</summary>
    public IReadOnlyList<JsonObject> PolicyReports
    {
        get
        {
            lock (_gate)
            {
                return [.. _reports.Values.Select(r => r.DeepClone().AsObject())];
            }
        }
    }

    public int PolicyReportWrites(string method) => Requests.Count(r => r.StartsWith($"{method} {ReportsGroup}/", StringComparison.Ordinal));

    private void MapPolicyReports()
    {
        _app.Use(async (context, next) =>
        {
            if (!PolicyReportCrd && context.Request.Path.StartsWithSegments(ReportsGroup, StringComparison.Ordinal))
            {
                // policyreport-00-crd-absent-404.body.txt, text/plain.
                context.Response.StatusCode = 404;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("404 page not found\n");
                return;
            }

            await next(context);
        });
        _app.MapGet("/apis/wgpolicyk8s.io/v1alpha2/policyreports", (HttpContext context) => ListReports(context.Request.Query["labelSelector"].ToString()));
        _app.MapPost(Reports, async (string ns, HttpRequest request) => WriteReport(ns, null, (await JsonNode.ParseAsync(request.Body))!.AsObject()));
        _app.MapPut(Reports + "/{name}", async (string ns, string name, HttpRequest request) => WriteReport(ns, name, (await JsonNode.ParseAsync(request.Body))!.AsObject()));
        _app.MapDelete(Reports + "/{name}", (string ns, string name) => DeleteReport(ns, name));
    }

    /// <summary>A report written by someone else (or before a restart), as the API server would hold it.</summary>
    public void AddPolicyReport(JsonObject report)
    {
        var ns = report["metadata"]!["namespace"]!.GetValue<string>();
        var result = WriteReport(ns, null, report);
        if (result is not IStatusCodeHttpResult { StatusCode: 201 })
        {
            throw new InvalidOperationException($"the stub refused the report for {ns}");
        }
    }

    private IResult ListReports(string labelSelector)
    {
        var (key, value) = labelSelector.Split('=') is [var k, var v] ? (k, v) : ("", "");
        lock (_gate)
        {
            var items = _reports.Values
                .Where(r => key.Length == 0 || r["metadata"]?["labels"]?[key]?.GetValue<string>() == value)
                .Select(r => (JsonNode)r.DeepClone());
            return Results.Json(new JsonObject
            {
                ["apiVersion"] = "wgpolicyk8s.io/v1alpha2",
                ["items"] = new JsonArray([.. items]),
                ["kind"] = "PolicyReportList",
                ["metadata"] = new JsonObject { ["continue"] = "", ["resourceVersion"] = _version.ToString() },
            });
        }
    }

    /// <param name="name">Null for a create (POST); the name in the path for a replace (PUT).</param>
    private IResult WriteReport(string ns, string? name, JsonObject body)
    {
        var reportName = body["metadata"]!["name"]!.GetValue<string>();
        var details = new JsonObject { ["name"] = reportName, ["group"] = "wgpolicyk8s.io", ["kind"] = "PolicyReport" };
        var results = body["results"]?.AsArray() ?? [];
        for (var i = 0; i < results.Count; i++)
        {
            foreach (var (field, allowed) in new[] { ("result", ResultValues), ("severity", SeverityValues) })
            {
                if (results[i]?[field]?.GetValue<string>() is { } given && !allowed.Contains(given))
                {
                    // policyreport-04-invalid-enum-422.json.
                    var supported = string.Join(", ", allowed.Select(a => $"\"{a}\""));
                    var message = $"Unsupported value: \"{given}\": supported values: {supported}";
                    return Status(422, "Invalid", $"PolicyReport.wgpolicyk8s.io \"{reportName}\" is invalid: results[{i}].{field}: {message}", new JsonObject
                    {
                        ["name"] = reportName, ["group"] = "wgpolicyk8s.io", ["kind"] = "PolicyReport",
                        ["causes"] = new JsonArray(new JsonObject { ["reason"] = "FieldValueNotSupported", ["message"] = message, ["field"] = $"results[{i}].{field}" }),
                    });
                }
            }
        }

        lock (_gate)
        {
            var key = $"{ns}/{reportName}";
            var exists = _reports.TryGetValue(key, out var current);
            var resourceDetails = new JsonObject { ["name"] = reportName, ["group"] = "wgpolicyk8s.io", ["kind"] = "policyreports" };
            if (name is null && exists)
            {
                return Status(409, "AlreadyExists", $"policyreports.wgpolicyk8s.io \"{reportName}\" already exists", resourceDetails);
            }

            if (name is not null && !exists)
            {
                return Status(404, "NotFound", $"policyreports.wgpolicyk8s.io \"{name}\" not found", resourceDetails);
            }

            if (name is not null && current!["metadata"]!["resourceVersion"]?.ToString() != body["metadata"]!["resourceVersion"]?.ToString())
            {
                return Status(409, "Conflict", $"Operation cannot be fulfilled on policyreports.wgpolicyk8s.io \"{name}\": the object has been modified; please apply your changes to the latest version and try again", resourceDetails);
            }

            var stored = body.DeepClone().AsObject();
            var metadata = stored["metadata"]!.AsObject();
            metadata["namespace"] = ns;
            metadata["creationTimestamp"] = current?["metadata"]?["creationTimestamp"]?.DeepClone() ?? DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
            metadata["generation"] = (current?["metadata"]?["generation"]?.GetValue<int>() ?? 0) + 1;
            metadata["managedFields"] = new JsonArray(new JsonObject { ["apiVersion"] = "wgpolicyk8s.io/v1alpha2", ["manager"] = "admissionguard", ["operation"] = "Update" });
            metadata["resourceVersion"] = NextVersion();
            metadata["uid"] = current?["metadata"]?["uid"]?.DeepClone() ?? Guid.NewGuid().ToString();
            _reports[key] = Sorted(stored);
            return Results.Json(_reports[key], statusCode: name is null ? 201 : 200);
        }
    }

    private IResult DeleteReport(string ns, string name)
    {
        lock (_gate)
        {
            return _reports.Remove($"{ns}/{name}", out var deleted)
                ? Results.Json(deleted)
                : Status(404, "NotFound", $"policyreports.wgpolicyk8s.io \"{name}\" not found", new JsonObject { ["name"] = name, ["group"] = "wgpolicyk8s.io", ["kind"] = "policyreports" });
        }
    }

    /// <summary>Custom resources come back with their keys in alphabetical order, at every level.</summary>
    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Sorted)]),
        _ => node?.DeepClone(),
    };

    private static JsonObject Sorted(JsonObject report) => (JsonObject)Sorted((JsonNode)report)!;
}
