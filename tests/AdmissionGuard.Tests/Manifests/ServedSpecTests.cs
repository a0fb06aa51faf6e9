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
            Assert.Equal(SpecDigest.Of(policy.ServedSpec), policy.ServedDigest);
        }
    }

    [Fact]
    public void A_plain_read_keeps_the_digest_of_the_spec_a_kept_read_keeps()
    {
        const string Manifest = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: db, namespace: shop}
            spec:
              podSelector: {matchLabels: {app: db}}
              ingress:
              - from: [{podSelector: {matchLabels: {app: api}}}]
                ports: [{port: 5432}]
            """;

        var plain = ManifestReader.Read("db.yaml", Manifest, "default").Single();
        var kept = ManifestReader.Read("db.yaml", Manifest, new ManifestReadOptions("default") { KeepServedSpec = true }).Single();

        Assert.Null(plain.ServedSpec);
        Assert.Equal(
            """{"podSelector":{"matchLabels":{"app":"db"}},"ingress":[{"ports":[{"protocol":"TCP","port":5432}],"from":[{"podSelector":{"matchLabels":{"app":"api"}}}]}],"policyTypes":["Ingress"]}""",
            Encoding.UTF8.GetString(kept.ServedSpec!));
        Assert.Equal(SpecDigest.Of(kept.ServedSpec!), plain.ServedDigest);
        Assert.Equal(plain.ServedDigest, kept.ServedDigest);
    }
}
