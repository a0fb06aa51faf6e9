using System.Collections.Immutable;
using System.Text.Json.Nodes;
using AdmissionGuard.Core.Reporting;

namespace AdmissionGuard.Cluster;

/// <summary>
/// A namespace's PolicyReport as the <c>wgpolicyk8s.io/v1alpha2</c> CRD has it, and back: the guard reads
/// the reports it wrote before (after a restart) to write only those whose content changed.
/// </summary>
public static class PolicyReportJson
{
    public const string Group = "wgpolicyk8s.io";

    /// <summary>Served by every release of the CRD, beside v1beta1 (which it stores); both schemas are the same.</summary>
    public const string Version = "v1alpha2";

    public const string Plural = "policyreports";

    public const string ManagedByLabel = "app.kubernetes.io/managed-by";

    public const string ManagedBy = "admissionguard";

    public static JsonObject ToObject(NamespacePolicyReport report, string? resourceVersion)
    {
        var metadata = new JsonObject
        {
            ["name"] = PolicyReportContent.ReportName,
            ["namespace"] = report.Namespace,
            ["labels"] = new JsonObject { [ManagedByLabel] = ManagedBy },
        };
        if (resourceVersion is not null)
        {
            metadata["resourceVersion"] = resourceVersion;
        }

        return new JsonObject
        {
            ["apiVersion"] = $"{Group}/{Version}",
            ["kind"] = "PolicyReport",
            ["metadata"] = metadata,
            ["summary"] = new JsonObject { ["pass"] = report.Pass, ["fail"] = report.Fail, ["warn"] = 0, ["error"] = 0, ["skip"] = 0 },
            ["results"] = new JsonArray([.. report.Results.Select(r => (JsonNode)Result(report.Namespace, r))]),
        };
    }

    /// <summary>The report as written before; results that are not readable as the guard's are kept as such, so they differ.</summary>
    public static NamespacePolicyReport Parse(JsonObject report)
    {
        var ns = report["metadata"]?["namespace"]?.GetValue<string>() ?? "";
        var results = ImmutableArray.CreateBuilder<PolicyReportResult>();
        foreach (var result in report["results"]?.AsArray() ?? [])
        {
            if (result is not JsonObject r)
            {
                continue;
            }

            var resource = r["resources"]?.AsArray().FirstOrDefault();
            var properties = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in r["properties"]?.AsObject() ?? [])
            {
                properties[key] = Text(value) ?? "";
            }

            var seconds = Number(r["timestamp"]?["seconds"]);
            var nanos = Number(r["timestamp"]?["nanos"]);
            results.Add(new PolicyReportResult(
                Text(resource?["name"]) ?? "",
                Text(resource?["uid"]),
                Text(r["rule"]) ?? "",
                Text(r["result"]) == "pass",
                Text(r["message"]) ?? "",
                properties.ToImmutable(),
                DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanos / 100)));
        }

        return new NamespacePolicyReport(ns, results.ToImmutable());
    }

    private static JsonObject Result(string ns, PolicyReportResult result)
    {
        var resource = new JsonObject
        {
            ["apiVersion"] = "networking.k8s.io/v1",
            ["kind"] = "NetworkPolicy",
            ["namespace"] = ns,
            ["name"] = result.Name,
        };
        if (result.Uid is not null)
        {
            resource["uid"] = result.Uid;
        }

        var json = new JsonObject
        {
            ["source"] = PolicyReportContent.Source,
            ["policy"] = PolicyReportContent.Policy,
            ["rule"] = result.Rule,
            ["result"] = result.Result,
            ["category"] = PolicyReportContent.Category,
            ["message"] = result.Message,
            ["resources"] = new JsonArray(resource),
            ["timestamp"] = new JsonObject
            {
                ["seconds"] = result.Timestamp.ToUnixTimeSeconds(),
                ["nanos"] = (int)(result.Timestamp.UtcTicks % TimeSpan.TicksPerSecond * 100),
            },
        };
        if (result.Severity is { } severity)
        {
            json["severity"] = severity;
        }

        if (result.Properties.Count > 0)
        {
            json["properties"] = new JsonObject([.. result.Properties.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))]);
        }

        return json;
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static long Number(JsonNode? node) =>
        node is JsonValue value && long.TryParse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture, out var number) ? number : 0;
}
