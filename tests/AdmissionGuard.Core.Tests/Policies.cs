using System.Text.Json;
using System.Text.Json.Nodes;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core.Tests;

/// <summary>Inline NetworkPolicy fixtures: JSON text in, canonical policy out.</summary>
internal static class Policies
{
    public static CanonicalPolicy Read(string json, string? namespaceOverride = null, string defaultNamespace = "default")
    {
        using var document = JsonDocument.Parse(json);
        return PolicyReader.Read(document.RootElement, namespaceOverride, defaultNamespace);
    }

    /// <summary>Reads a policy object as /validate reads a review's object: one forward-only pass, then the parts.</summary>
    public static CanonicalPolicy ReadAsReviewed(string json, ref PolicyReader.SharedParts shared, AnnotationFilter? keepAnnotation = null, bool keepLabels = true)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(json);
        var reader = new Utf8JsonReader(bytes);
        reader.Read();
        var scan = PolicyScan.Read(ref reader, bytes, keepAnnotation, keepLabels);
        return PolicyReader.Read(scan, null, "default", ref shared);
    }

    /// <summary>The NetworkPolicy shop/web with this spec; <paramref name="metadata"/> is a JSON object
    /// whose members are added to <c>metadata</c>, e.g. <c>{"labels":{"team":"a"}}</c>.</summary>
    public static CanonicalPolicy Spec(string spec, string metadata = "{}", string name = "web", string ns = "shop") =>
        Read(Object(spec, metadata, name, ns));

    public static string Object(string spec, string metadata = "{}", string name = "web", string ns = "shop")
    {
        var meta = JsonNode.Parse(metadata)!.AsObject();
        meta["name"] = name;
        meta["namespace"] = ns;
        var policy = new JsonObject
        {
            ["apiVersion"] = "networking.k8s.io/v1",
            ["kind"] = "NetworkPolicy",
            ["metadata"] = meta,
            ["spec"] = JsonNode.Parse(spec),
        };
        return policy.ToJsonString();
    }
}
