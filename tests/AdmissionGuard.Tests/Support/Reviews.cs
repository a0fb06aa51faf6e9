using System.Text.Json.Nodes;

namespace AdmissionGuard.Tests.Support;

/// <summary>AdmissionReviews exactly as a kube-apiserver sent them (Fixtures/apiserver), with changes made per test.</summary>
public static class Reviews
{
    public static JsonNode Load(string fixture)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "apiserver", fixture + ".json");
        return JsonNode.Parse(File.ReadAllText(path))!;
    }

    public static JsonObject Request(this JsonNode review) => (JsonObject)review["request"]!;

    public static JsonNode WithUid(this JsonNode review, string uid)
    {
        review.Request()["uid"] = uid;
        return review;
    }

    public static JsonNode AsUser(this JsonNode review, string username, params string[] groups)
    {
        review.Request()["userInfo"] = new JsonObject
        {
            ["username"] = username,
            ["groups"] = new JsonArray([.. groups.Select(g => (JsonNode)JsonValue.Create(g))]),
        };
        return review;
    }

    /// <summary>Replaces the spec of request.object (or of oldObject) with the given JSON.</summary>
    public static JsonNode WithSpec(this JsonNode review, string specJson, string which = "object")
    {
        review.Request()[which]!["spec"] = JsonNode.Parse(specJson);
        return review;
    }

    public static JsonNode WithAnnotations(this JsonNode review, IReadOnlyDictionary<string, string> annotations, string which = "object")
    {
        var metadata = (JsonObject)review.Request()[which]!["metadata"]!;
        if (metadata["annotations"] is not JsonObject map)
        {
            map = [];
            metadata["annotations"] = map;
        }

        foreach (var (key, value) in annotations)
        {
            map[key] = value;
        }

        return review;
    }
}
