using System.Text.Json.Nodes;

namespace AdmissionGuard.Tests.Manifests;

/// <summary>
/// What the API server does to a NetworkPolicy before a validating webhook sees it: the defaulting of
/// pkg/apis/networking/v1/defaults.go (SetDefaults_NetworkPolicy, SetDefaults_NetworkPolicyPort), then
/// JSON encoding, which leaves out null fields and empty lists (every list field is omitempty).
/// </summary>
internal static class ApiServerDefaults
{
    public static JsonObject Apply(JsonObject policy)
    {
        var served = policy.DeepClone().AsObject();
        if (served["spec"] is not JsonObject spec)
        {
            spec = [];
            served["spec"] = spec;
        }

        spec["podSelector"] ??= new JsonObject();
        foreach (var direction in new[] { "ingress", "egress" })
        {
            foreach (var rule in (spec[direction] as JsonArray ?? []).OfType<JsonObject>())
            {
                foreach (var port in (rule["ports"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    port["protocol"] ??= "TCP";
                }
            }
        }

        if (spec["policyTypes"] is not JsonArray { Count: > 0 })
        {
            spec["policyTypes"] = spec["egress"] is JsonArray { Count: > 0 } ? new JsonArray("Ingress", "Egress") : new JsonArray("Ingress");
        }

        return (JsonObject)Encode(served)!;
    }

    private static JsonNode? Encode(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject map:
                foreach (var (name, value) in map.ToList())
                {
                    if (value is null || value is JsonArray { Count: 0 })
                    {
                        map.Remove(name);
                    }
                    else
                    {
                        Encode(value);
                    }
                }

                break;
            case JsonArray list:
                foreach (var item in list)
                {
                    Encode(item);
                }

                break;
        }

        return node;
    }
}
