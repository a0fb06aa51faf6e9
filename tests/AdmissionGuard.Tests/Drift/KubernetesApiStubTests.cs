using System.Net;
using System.Text.Json.Nodes;

namespace AdmissionGuard.Tests.Drift;

/// <summary>The stub answers in the shapes a real API server recorded (Fixtures/apiserver/cluster), so drift tests read what a cluster sends.</summary>
public sealed class KubernetesApiStubTests
{
    private const string Policies = "/apis/networking.k8s.io/v1/networkpolicies";

    [Fact]
    public async Task Lists_are_paged_with_the_keys_of_list_01_and_list_02()
    {
        // Three policies as watch-01-create-modify-delete.jsonl's ADDED event carries one (with kind and apiVersion).
        var added = Recorded("watch-01-create-modify-delete.jsonl").Split('\n')[0];
        var policies = new[] { "allow-dns", "allow-metrics", "deny-all" }.Select(name =>
        {
            var policy = JsonNode.Parse(added)!["object"]!.AsObject().DeepClone().AsObject();
            policy["metadata"]!["name"] = name;
            return policy;
        });
        await using var stub = await KubernetesApiStub.StartAsync(policies);
        using var client = new HttpClient { BaseAddress = new Uri(stub.Url) };

        var first = JsonNode.Parse(await client.GetStringAsync($"{Policies}?limit=2"))!;
        var last = JsonNode.Parse(await client.GetStringAsync($"{Policies}?limit=2&continue={first["metadata"]!["continue"]}"))!;

        Assert.Equal(Shape(JsonNode.Parse(Recorded("list-01-limit-2-page1.json"))!), Shape(first));
        Assert.Equal(Shape(JsonNode.Parse(Recorded("list-02-limit-2-page2.json"))!), Shape(last));
    }

    [Fact]
    public async Task A_refused_list_is_a_Status_with_the_keys_of_errors_403_forbidden_list()
    {
        await using var stub = await KubernetesApiStub.StartAsync([]);
        stub.FailLists = HttpStatusCode.Forbidden;
        using var client = new HttpClient { BaseAddress = new Uri(stub.Url) };

        using var response = await client.GetAsync(Policies);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(Shape(JsonNode.Parse(Recorded("errors-403-forbidden-list.json"))!), Shape(JsonNode.Parse(await response.Content.ReadAsStringAsync())!));
    }

    [Fact]
    public async Task A_created_Event_a_series_update_and_a_refused_note_have_the_keys_of_events_01_02_and_07()
    {
        await using var stub = await KubernetesApiStub.StartAsync([]);
        using var client = new HttpClient { BaseAddress = new Uri(stub.Url) };
        var recorded = JsonNode.Parse(Recorded("events-01-created.json"))!.AsObject();
        var request = new JsonObject([.. recorded.Where(p => p.Key is not "metadata" and not "deprecatedSource" and not "deprecatedFirstTimestamp" and not "deprecatedLastTimestamp")
            .Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))]);
        request["metadata"] = new JsonObject { ["name"] = "db-allow-api.drift.1", ["namespace"] = "fx-events" };
        const string Events = "/apis/events.k8s.io/v1/namespaces/fx-events/events";

        using var created = await client.PostAsync(Events, Json(request));
        using var series = await client.PatchAsync($"{Events}/db-allow-api.drift.1", Json(JsonNode.Parse("{\"series\":{\"count\":2,\"lastObservedTime\":\"2026-12-01T21:50:04.061604Z\"}}")!));
        using var note = await client.PatchAsync($"{Events}/db-allow-api.drift.1", Json(JsonNode.Parse("{\"note\":\"changed note\"}")!));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(Shape(recorded), Shape(JsonNode.Parse(await created.Content.ReadAsStringAsync())!));
        Assert.Equal(Shape(JsonNode.Parse(Recorded("events-02-updated-series.json"))!), Shape(JsonNode.Parse(await series.Content.ReadAsStringAsync())!));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, note.StatusCode);
        var refusal = JsonNode.Parse(await note.Content.ReadAsStringAsync())!;
        var recordedRefusal = JsonNode.Parse(Recorded("events-07-update-note-immutable-422.json"))!;
        Assert.Equal(Shape(recordedRefusal), Shape(refusal));
        Assert.Equal(recordedRefusal["message"]!.GetValue<string>(), refusal["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_created_PolicyReport_has_the_keys_of_policyreport_01_and_a_result_outside_the_enum_is_refused_as_policyreport_04()
    {
        await using var stub = await KubernetesApiStub.StartAsync([]);
        using var client = new HttpClient { BaseAddress = new Uri(stub.Url) };
        var recorded = JsonNode.Parse(Recorded("policyreport-01-created.json"))!.AsObject();
        var request = recorded.DeepClone().AsObject();
        request["metadata"] = new JsonObject { ["name"] = "admissionguard-networkpolicies", ["namespace"] = "fx-pr", ["labels"] = recorded["metadata"]!["labels"]!.DeepClone() };
        var invalid = request.DeepClone().AsObject();
        invalid["metadata"]!["name"] = "admissionguard-invalid";
        invalid["results"]![1]!["result"] = "Fail";
        const string Reports = "/apis/wgpolicyk8s.io/v1alpha2/namespaces/fx-pr/policyreports";

        using var created = await client.PostAsync(Reports, Json(request));
        using var refused = await client.PostAsync(Reports, Json(invalid));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(Shape(recorded), Shape(JsonNode.Parse(await created.Content.ReadAsStringAsync())!));
        var recordedRefusal = JsonNode.Parse(Recorded("policyreport-04-invalid-enum-422.json"))!;
        var refusal = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal(Shape(recordedRefusal), Shape(refusal));
        Assert.Equal(recordedRefusal["message"]!.GetValue<string>(), refusal["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Without_the_CRD_a_PolicyReport_path_answers_the_text_of_policyreport_00()
    {
        await using var stub = await KubernetesApiStub.StartAsync([]);
        stub.PolicyReportCrd = false;
        using var client = new HttpClient { BaseAddress = new Uri(stub.Url) };

        using var response = await client.PostAsync("/apis/wgpolicyk8s.io/v1alpha2/namespaces/fx-pr/policyreports", Json(new JsonObject()));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(Recorded("policyreport-00-crd-absent-404.body.txt"), await response.Content.ReadAsStringAsync());
    }

    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");

    private static string Recorded(string file) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "apiserver", "cluster", file));

    /// <summary>The keys in order: at the top, of metadata and details, and of the first item.</summary>
    private static string[] Shape(JsonNode answer) =>
    [
        string.Join(",", answer.AsObject().Select(p => p.Key)),
        "metadata: " + string.Join(",", answer["metadata"]!.AsObject().Select(p => p.Key)),
        "details: " + string.Join(",", answer["details"]?.AsObject().Select(p => p.Key) ?? []),
        "item: " + string.Join(",", answer["items"]?.AsArray().FirstOrDefault()?.AsObject().Select(p => p.Key) ?? []),
    ];
}
