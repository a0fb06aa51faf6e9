using System.Text.Json.Nodes;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Sources;

/// <summary><c>admissionguard drift</c> in CI renders a repository's sources exactly as the server does, and names the base file.</summary>
public sealed class RenderedDriftTests : IDisposable
{
    private const string Other = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: other
        spec:
          podSelector: {}
        """;

    private static readonly string Base = Other + "\n---\n" + SourceRepository.DbPolicy;

    private const string Live = """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: networking.k8s.io/v1
          kind: NetworkPolicy
          metadata: {name: prod-other, namespace: shop}
          spec: {podSelector: {}, policyTypes: [Ingress]}
        - apiVersion: networking.k8s.io/v1
          kind: NetworkPolicy
          metadata: {name: prod-db, namespace: shop}
          spec:
            podSelector:
              matchLabels: {app: db}
            ingress:
            - from:
              - ipBlock: {cidr: 0.0.0.0/0}
              ports:
              - {port: 5432, protocol: TCP}
            policyTypes: [Ingress]
        """;

    private readonly GitRepository _repository = new();
    private readonly TempDirectory _work = new();

    public RenderedDriftTests()
    {
        _repository.Commit(new Dictionary<string, string>
        {
            ["apps/base/policies.yaml"] = Base,
            ["apps/base/kustomization.yaml"] = "resources: [policies.yaml]\n",
            ["apps/overlays/prod/kustomization.yaml"] = "namespace: shop\nnamePrefix: prod-\nresources: [../../base]\n",
        });
        File.WriteAllText(_work.Combine("live.yaml"), Live);
    }

    private Executable.Result Drift(params string[] arguments)
    {
        Prerequisite.Command("kubectl", "rendered sources are built with kubectl kustomize when kustomize is not installed");
        return Executable.Run(
            _work.Path,
            new Dictionary<string, string> { ["AdmissionGuard__Git__CacheDirectory"] = _work.Combine("cache") },
            ["drift", "--repo", _repository.Path, "--live", "live.yaml", "--AdmissionGuard:Git:Sources:0:Path=apps/overlays/prod", .. arguments]);
    }

    [SkippableFact]
    public void Drift_of_a_rendered_policy_names_its_base_file_via_the_overlay_in_text_and_JSON()
    {
        var text = Drift();
        var json = Drift("-o", "json");

        Assert.Equal(1, text.ExitCode);
        Assert.Contains("apps/base/policies.yaml via apps/overlays/prod@", text.Output, StringComparison.Ordinal);
        var item = Assert.Single(JsonNode.Parse(json.Output)!["items"]!.AsArray())!;
        Assert.Equal(("shop", "prod-db", "apps/base/policies.yaml", "apps/overlays/prod"), (item["namespace"]!.GetValue<string>(), item["name"]!.GetValue<string>(), item["gitPath"]!.GetValue<string>(), item["via"]!.GetValue<string>()));
        Assert.Equal(["spec.ingress: rule on port TCP/5432: peer ipBlock 0.0.0.0/0 added, peer podSelector app=api removed"], item["differences"]!.AsArray().Select(d => d!.GetValue<string>()));
    }

    [SkippableFact]
    public void SARIF_locates_a_rendered_policy_at_its_document_in_the_base_file()
    {
        var sarif = Drift("-o", "sarif");

        var location = JsonNode.Parse(sarif.Output)!["runs"]![0]!["results"]![0]!["locations"]![0]!["physicalLocation"]!;
        Assert.Equal("apps/base/policies.yaml", location["artifactLocation"]!["uri"]!.GetValue<string>());
        Assert.Equal(8, location["region"]!["startLine"]!.GetValue<int>());
    }

    public void Dispose()
    {
        _repository.Dispose();
        _work.Dispose();
    }
}
