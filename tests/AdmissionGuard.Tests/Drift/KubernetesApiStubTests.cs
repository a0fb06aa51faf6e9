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
