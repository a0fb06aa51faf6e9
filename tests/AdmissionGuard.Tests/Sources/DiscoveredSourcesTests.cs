using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Tests.Sources;

/// <summary>Sources read from the GitOps tools' own objects in the repository (<c>Git:Discover</c>), rendered as those tools render them.</summary>
public sealed class DiscoveredSourcesTests
{
    private const string Policy = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: api
        spec:
          podSelector:
            matchLabels: {app: api, env: "${ENV}", region: "${REGION:=eu}"}
        """;

    private static Dictionary<string, string> FluxRepository() => new()
    {
        ["clusters/prod/sources.yaml"] = """
            apiVersion: source.toolkit.fluxcd.io/v1
            kind: GitRepository
            metadata: {name: policies, namespace: flux-system}
            spec:
              url: ssh://git@github.com/example/gitops.git
              ref: {branch: main}
            ---
            apiVersion: source.toolkit.fluxcd.io/v1
            kind: GitRepository
            metadata: {name: platform, namespace: flux-system}
            spec:
              url: https://github.com/example/platform
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: cluster-settings, namespace: flux-system}
            data: {ENV: prod, REGION: us}
            """,
        ["clusters/prod/apps.yaml"] = """
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata: {name: apps, namespace: flux-system}
            spec:
              path: ./apps/base
              sourceRef: {kind: GitRepository, name: policies}
              targetNamespace: shop
              namePrefix: prod-
              commonMetadata:
                labels: {team: shop}
              components: [../components/deny-all]
              postBuild:
                substitute: {REGION: ap}
                substituteFrom:
                - {kind: ConfigMap, name: cluster-settings}
            ---
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata: {name: platform, namespace: flux-system}
            spec:
              path: ./deploy
              sourceRef: {kind: GitRepository, name: platform}
            ---
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata: {name: secrets, namespace: flux-system}
            spec:
              path: ./apps/base
              sourceRef: {kind: GitRepository, name: flux-system}
              postBuild:
                substituteFrom:
                - {kind: Secret, name: cluster-secrets}
            """,
        ["apps/base/api.yaml"] = Policy,
        ["apps/base/kustomization.yaml"] = "resources: [api.yaml]\n",
        ["apps/components/deny-all/deny-all.yaml"] = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all}\nspec: {podSelector: {}}\n",
        ["apps/components/deny-all/kustomization.yaml"] = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [deny-all.yaml]\n",
    };

    [Fact]
    public void A_Flux_Kustomization_of_this_repository_is_rendered_as_kustomize_controller_renders_it()
    {
        using var repository = new SourceRepository(FluxRepository());

        var loaded = repository.Load(git =>
        {
            git.Discover = "Flux";
            git.RepositoryAliases = ["https://github.com/example/gitops"];
        });

        Assert.Equal(["shop/prod-api", "shop/prod-deny-all"], loaded.Baseline.Entries.Select(e => e.Policy.Id.ToString()).Order(StringComparer.Ordinal));
        var api = loaded.Baseline.Find(new PolicyKey("shop", "prod-api"))!;
        Assert.Equal("app=api,env=prod,region=ap", api.Policy.Spec.PodSelector.Text);
        Assert.Equal("shop", api.Policy.Labels["team"]);
        Assert.Equal("apps/base/api.yaml via apps/base@" + repository.Commit[..7], loaded.Baseline.Location(api));
        var apps = Assert.Single(loaded.Sources, s => s.FoundBy == "Flux Kustomization flux-system/apps");
        Assert.Equal(("apps/base", "kustomize", 2, (string?)null), (apps.Path, apps.Render, apps.Policies, apps.Problem));
    }

    [Fact]
    public void A_Kustomization_the_guard_cannot_render_is_listed_with_what_to_do_and_noted()
    {
        using var repository = new SourceRepository(FluxRepository());

        var loaded = repository.Load(git =>
        {
            git.Discover = "Flux";
            git.RepositoryAliases = ["git@github.com:example/gitops.git"];
        });

        var platform = Assert.Single(loaded.Sources, s => s.FoundBy == "Flux Kustomization flux-system/platform");
        var secrets = Assert.Single(loaded.Sources, s => s.FoundBy == "Flux Kustomization flux-system/secrets");
        Assert.Equal("not rendered", platform.Render);
        Assert.StartsWith("its GitRepository flux-system/platform is https://github.com/example/platform, not this repository", platform.Problem, StringComparison.Ordinal);
        Assert.StartsWith("postBuild.substituteFrom Secret flux-system/cluster-secrets cannot be read from Git", secrets.Problem, StringComparison.Ordinal);
        Assert.Contains(loaded.Baseline.Notices, n => n.StartsWith("deploy (Flux Kustomization flux-system/platform): not rendered: its GitRepository", StringComparison.Ordinal));
    }

    [Fact]
    public void A_Kustomization_of_a_GitRepository_with_another_URL_is_not_this_repository_without_an_alias()
    {
        using var repository = new SourceRepository(FluxRepository());

        var loaded = repository.Load(git => git.Discover = "Flux");

        Assert.Empty(loaded.Baseline.Entries);
        Assert.Contains("not this repository (add that URL to AdmissionGuard:Git:RepositoryAliases if it is)", Assert.Single(loaded.Sources, s => s.FoundBy.EndsWith("/apps", StringComparison.Ordinal)).Problem, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> ArgoRepository() => new()
    {
        ["argocd/apps.yaml"] = """
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: shop, namespace: argocd}
            spec:
              source:
                repoURL: git@github.com:example/gitops.git
                targetRevision: main
                path: apps/overlay
                kustomize:
                  namePrefix: argo-
                  commonLabels: {owner: platform}
              destination: {server: https://kubernetes.default.svc, namespace: shop}
            ---
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: plain, namespace: argocd}
            spec:
              source:
                repoURL: https://github.com/example/gitops
                path: plain
              destination: {namespace: team-a}
            ---
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: cilium, namespace: argocd}
            spec:
              source: {repoURL: https://helm.cilium.io, chart: cilium, targetRevision: 1.16.0}
              destination: {namespace: kube-system}
            ---
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: next, namespace: argocd}
            spec:
              source: {repoURL: "https://github.com/example/gitops.git/", path: apps/overlay, targetRevision: develop}
              destination: {namespace: next}
            """,
        ["apps/overlay/kustomization.yaml"] = "resources: [api.yaml]\n",
        ["apps/overlay/api.yaml"] = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: api}\nspec:\n  podSelector:\n    matchLabels: {app: api}\n",
        ["plain/web.yaml"] = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web}\nspec: {podSelector: {}}\n",
        ["plain/other/ignored.yaml"] = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: nested}\nspec: {podSelector: {}}\n",
    };

    [Fact]
    public void An_Argo_CD_Application_named_by_its_SSH_address_is_rendered_with_its_kustomize_options_and_destination()
    {
        using var repository = new SourceRepository(ArgoRepository());

        var loaded = repository.Load(git =>
        {
            git.Discover = "ArgoCD";
            git.RepositoryAliases = ["https://github.com/example/gitops.git"];
        });

        Assert.Equal(["shop/argo-api", "team-a/web"], loaded.Baseline.Entries.Select(e => e.Policy.Id.ToString()).Order(StringComparer.Ordinal));
        var api = loaded.Baseline.Find(new PolicyKey("shop", "argo-api"))!;
        Assert.Equal("app=api,owner=platform", api.Policy.Spec.PodSelector.Text);
        Assert.Equal(["kustomize", "plain", "not rendered", "not rendered"], loaded.Sources.Select(s => s.Render));
        Assert.StartsWith("a Helm chart (cilium from https://helm.cilium.io) is not rendered", loaded.Sources[2].Problem, StringComparison.Ordinal);
        Assert.StartsWith("it follows revision develop, and the guard reads main", loaded.Sources[3].Problem, StringComparison.Ordinal);
    }
}
