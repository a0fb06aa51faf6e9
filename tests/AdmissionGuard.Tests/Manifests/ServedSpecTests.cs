using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Git;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Manifests;

/// <summary>
/// The declared spec rendered as the API server sends it, checked against what a real kube-apiserver sent
/// (Fixtures/apiserver) and against the real-world corpus.
/// </summary>
public class ServedSpecTests
{
    public static TheoryData<string> ApiServerFixtures() =>
        [.. new[] { "create", "create-as-serviceaccount", "create-dryrun", "update-label", "update-server-side-apply" }];

    [Theory]
    [MemberData(nameof(ApiServerFixtures))]
    public void A_spec_a_real_API_server_sent_renders_to_exactly_its_bytes(string fixture)
    {
        var obj = Reviews.Load(fixture).Request()["object"]!;
        var sent = obj["spec"]!.ToJsonString();
        using var document = JsonDocument.Parse(obj.ToJsonString());

        var rendered = ServedSpec.Render(document.RootElement, PolicyReader.Read(document.RootElement).Spec);

        Assert.NotNull(rendered);
        Assert.Equal(sent, Encoding.UTF8.GetString(rendered));
    }

    [SkippableFact]
    public void Every_corpus_policy_gets_a_rendering_that_the_API_server_form_reproduces()
    {
        var policies = CorpusPolicies.Read("default");
        var unrendered = policies.Where(p => p.ServedSpec is null).Select(p => p.Location).ToList();
        Assert.True(unrendered.Count == 0, "not rendered: " + string.Join(", ", unrendered));
        foreach (var policy in policies)
        {
            // Fed back in as the object the API server would send, the rendering is a fixed point.
            var served = $$"""{"metadata":{"name":"{{policy.Policy.Name}}"},"spec":{{Encoding.UTF8.GetString(policy.ServedSpec!)}}}""";
            using var document = JsonDocument.Parse(served);
            Assert.Equal(policy.ServedSpec, ServedSpec.Render(document.RootElement, policy.Policy.Spec));
        }
    }
}
