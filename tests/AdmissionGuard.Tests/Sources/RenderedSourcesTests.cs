using AdmissionGuard.Core.Policy;
using AdmissionGuard.Git;
using AdmissionGuard.Tests.Support;
using static AdmissionGuard.Tests.Sources.SourceRepository;

namespace AdmissionGuard.Tests.Sources;

/// <summary>Kustomize trees read through <c>Git:Sources</c>, rendered by the real kustomize, each feature on its own.</summary>
public sealed class RenderedSourcesTests
{
    private static readonly string Policy = DbPolicy;

    /// <summary>A patch is a NetworkPolicy fragment: read as a plain file it would be a second, different declaration.</summary>
    private const string Patch = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: db
        spec:
          podSelector:
            matchLabels: {app: db, tier: data}
        """;

    private static Dictionary<string, string> BaseAndOverlays() => new()
    {
        ["apps/base/db-netpol.yaml"] = Policy,
        ["apps/base/kustomization.yaml"] = "resources: [db-netpol.yaml]\n",
        ["apps/components/deny-all/deny-all.yaml"] = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all}\nspec: {podSelector: {}}\n",
        ["apps/components/deny-all/kustomization.yaml"] = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [deny-all.yaml]\n",
        ["apps/overlays/prod/kustomization.yaml"] = "namespace: shop-prod\nresources: [../../base]\ncomponents: [../../components/deny-all]\npatches:\n- path: db-patch.yaml\n",
        ["apps/overlays/prod/db-patch.yaml"] = Patch,
        ["apps/overlays/staging/kustomization.yaml"] = "namespace: shop-staging\nnamePrefix: staging-\nresources: [../../base]\ncomponents: [../../components/deny-all]\n",
    };

    [Fact]
    public void Overlays_render_their_base_and_component_with_patches_applied_and_name_the_file_that_declares_each_policy()
    {
        using var repository = new SourceRepository(BaseAndOverlays());

        var loaded = repository.Load(git => git.Sources = [Source("apps/overlays/prod"), Source("apps/overlays/staging")]);

        var policies = loaded.Baseline.Entries.ToDictionary(e => e.Policy.Id.ToString());
        Assert.Equal(["shop-prod/db", "shop-prod/deny-all", "shop-staging/staging-db", "shop-staging/staging-deny-all"], policies.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("app=db,tier=data", policies["shop-prod/db"].Policy.Spec.PodSelector.Text);
        Assert.Equal("app=db", policies["shop-staging/staging-db"].Policy.Spec.PodSelector.Text);
        Assert.Equal("apps/base/db-netpol.yaml via apps/overlays/prod@" + repository.Commit[..7], loaded.Baseline.Location(policies["shop-prod/db"]));
        Assert.Equal("apps/components/deny-all/deny-all.yaml", policies["shop-staging/staging-deny-all"].SourcePath);
        Assert.Equal("apps/overlays/staging", policies["shop-staging/staging-deny-all"].Via);
        Assert.Equal(["apps/overlays/prod", "apps/overlays/staging"], loaded.Sources.Select(s => s.Path));
        Assert.All(loaded.Sources, s => Assert.Equal(("kustomize", 2, "names"), (s.Render, s.Policies, s.Provenance)));
    }

    [Fact]
    public void Policies_of_one_name_from_two_files_are_traced_by_kustomize_itself()
    {
        using var repository = new SourceRepository(new Dictionary<string, string>
        {
            ["apps/a/db.yaml"] = Policy,
            ["apps/a/kustomization.yaml"] = "namespace: team-a\nresources: [db.yaml]\n",
            ["apps/b/db.yaml"] = Policy,
            ["apps/b/kustomization.yaml"] = "namespace: team-b\nresources: [db.yaml]\n",
            ["apps/all/kustomization.yaml"] = "resources: [../a, ../b]\n",
        });

        var loaded = repository.Load(git => git.Sources = [Source("apps/all")]);

        var policies = loaded.Baseline.Entries.ToDictionary(e => e.Policy.Id.ToString());
        Assert.Equal(("apps/a/db.yaml", "apps/all"), (policies["team-a/db"].SourcePath, policies["team-a/db"].Via));
        Assert.Equal(("apps/b/db.yaml", "apps/all"), (policies["team-b/db"].SourcePath, policies["team-b/db"].Via));
        Assert.Equal(("origin annotations", 2), (Assert.Single(loaded.Sources).Provenance, loaded.Sources[0].Policies));
        Assert.All(loaded.Baseline.Entries, e => Assert.DoesNotContain(ManifestReader.OriginAnnotation, e.Policy.Annotations.Keys));
    }

    [Fact]
    public void A_policy_the_render_cannot_take_is_refused_naming_the_base_file_that_declares_it()
    {
        using var repository = new SourceRepository(new Dictionary<string, string>
        {
            ["apps/base/db.yaml"] = Policy.Replace("matchLabels: {app: db}", "matchLabels: {app: \"bad value!\"}", StringComparison.Ordinal),
            ["apps/base/kustomization.yaml"] = "resources: [db.yaml]\n",
            ["apps/overlays/prod/kustomization.yaml"] = "namespace: prod\nresources: [../../base]\n",
        });

        var error = Assert.Throws<BaselineLoadException>(() => repository.Load(git => git.Sources = [Source("apps/overlays/prod")]));

        Assert.Equal("apps/base/db.yaml", error.Path);
        Assert.StartsWith("apps/base/db.yaml: spec.podSelector.matchLabels.app: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("(rendered by apps/overlays/prod)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_prefix_at_each_level_is_taken_off_to_find_the_declaring_file()
    {
        using var repository = new SourceRepository(new Dictionary<string, string>
        {
            ["apps/base/db.yaml"] = Policy,
            ["apps/base/other.yaml"] = Policy.Replace("name: db", "name: web", StringComparison.Ordinal),
            ["apps/base/kustomization.yaml"] = "namePrefix: shop-\nresources: [db.yaml, other.yaml]\n",
            ["apps/overlays/prod/kustomization.yaml"] = "namespace: prod\nnamePrefix: prod-\nnameSuffix: -v2\nresources: [../../base]\n",
        });

        var loaded = repository.Load(git => git.Sources = [Source("apps/overlays/prod")]);

        var policies = loaded.Baseline.Entries.ToDictionary(e => e.Policy.Id.ToString());
        Assert.Equal("apps/base/db.yaml", policies["prod/prod-shop-db-v2"].SourcePath);
        Assert.Equal("apps/base/other.yaml", policies["prod/prod-shop-web-v2"].SourcePath);
        Assert.Equal("names", Assert.Single(loaded.Sources).Provenance);
    }

    [Fact]
    public void The_same_folder_read_plain_takes_the_patch_for_a_second_declaration()
    {
        using var repository = new SourceRepository(BaseAndOverlays());

        var error = Assert.Throws<BaselineLoadException>(() => repository.Load(git => git.Sources = [Source("apps", render: "Plain", ns: "shop")]));

        Assert.Contains("shop/db is declared twice: apps/base/db-netpol.yaml: document 0 and apps/overlays/prod/db-patch.yaml: document 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Namespace_fills_in_only_missing_namespaces_and_TargetNamespace_replaces_every_one()
    {
        using var repository = new SourceRepository(new Dictionary<string, string>
        {
            ["plain/db.yaml"] = Policy,
            ["plain/named.yaml"] = Policy.Replace("name: db", "name: named\n  namespace: team-a", StringComparison.Ordinal),
        });

        var filled = repository.Load(git => git.Sources = [Source("plain", ns: "shop")]);
        var forced = repository.Load(git => git.Sources = [Source("plain", ns: "shop", target: "forced")]);

        Assert.Equal(["shop/db", "team-a/named"], filled.Baseline.Entries.Select(e => e.Policy.Id.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal(["forced/db", "forced/named"], forced.Baseline.Entries.Select(e => e.Policy.Id.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal(("plain", 2), (filled.Sources[0].Render, filled.Sources[0].Policies));
    }

    [Fact]
    public void Substitution_replaces_variables_with_defaults_and_escapes_and_leaves_disabled_objects_alone()
    {
        using var repository = new SourceRepository(new Dictionary<string, string>
        {
            ["flux/app/policy.yaml"] = """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: app, namespace: "${NS}"}
                spec:
                  podSelector:
                    matchLabels: {app: "${APP}", tier: "${TIER:=web}", team: "${TEAM:-}x"}
                ---
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata:
                  name: raw
                  namespace: shop
                  annotations: {kustomize.toolkit.fluxcd.io/substitute: disabled}
                spec:
                  podSelector:
                    matchLabels: {app: api}
                """,
            ["flux/app/kustomization.yaml"] = "resources: [policy.yaml]\n",
        });

        var loaded = repository.Load(git => git.Sources = [Source("flux/app", substitute: new() { ["NS"] = "shop", ["APP"] = "web" })]);

        var app = loaded.Baseline.Find(new PolicyKey("shop", "app"))!;
        Assert.Equal("app=web,team=x,tier=web", app.Policy.Spec.PodSelector.Text);
        Assert.NotNull(loaded.Baseline.Find(new PolicyKey("shop", "raw")));
    }

    [Fact]
    public void An_escaped_variable_is_written_as_it_is_and_strict_substitution_refuses_an_unset_one()
    {
        using var repository = new SourceRepository(new Dictionary<string, string>
        {
            ["app/policy.yaml"] = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: app\n  namespace: shop\n  annotations: {note: \"$${NOT_A_VARIABLE}\"}\nspec:\n  podSelector:\n    matchLabels: {app: \"${APP}\"}\n",
        });

        var loaded = repository.Load(git => git.Sources = [Source("app", substitute: new() { ["APP"] = "web" })]);
        var error = Assert.Throws<BaselineLoadException>(() => repository.Load(git =>
        {
            git.Sources = [Source("app", substitute: new() { ["OTHER"] = "x" })];
            git.Kustomize.StrictSubstitution = "true";
        }));

        Assert.Equal("${NOT_A_VARIABLE}", loaded.Baseline.Find(new PolicyKey("shop", "app"))!.Policy.Annotations["note"]);
        Assert.Equal("app=web", loaded.Baseline.Find(new PolicyKey("shop", "app"))!.Policy.Spec.PodSelector.Text);
        Assert.Contains("app/policy.yaml: variable ${APP} is not set and has no default (AdmissionGuard:Git:Kustomize:StrictSubstitution", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_value_an_unsubstituted_variable_in_a_label_is_refused_naming_the_file()
    {
        using var repository = new SourceRepository(new Dictionary<string, string>
        {
            ["app/policy.yaml"] = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: app, namespace: shop}\nspec:\n  podSelector:\n    matchLabels: {app: \"${APP}\"}\n",
        });

        var error = Assert.Throws<BaselineLoadException>(() => repository.Load(git => git.Sources = [Source("app")]));

        Assert.Contains("app/policy.yaml: document 0: line 6, column 19: spec.podSelector.matchLabels.app: invalid label value \"${APP}\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("(an unsubstituted variable?)", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, Dictionary<string, string>, string> Refusals() => new()
    {
        {
            "a remote base",
            new() { ["root/kustomization.yaml"] = "resources:\n- github.com/example/policies//base?ref=v1\n" },
            "root/kustomization.yaml: resources: \"github.com/example/policies//base?ref=v1\" is remote; the guard builds without network"
        },
        {
            "a Helm chart",
            new() { ["root/kustomization.yaml"] = "helmCharts:\n- name: cilium\n  repo: https://helm.cilium.io\n" },
            "root/kustomization.yaml: helmCharts: Helm charts are not rendered"
        },
        {
            "a generator plugin",
            new() { ["root/kustomization.yaml"] = "generators: [gen.yaml]\n", ["root/gen.yaml"] = "apiVersion: example.com/v1\nkind: SecretsFromVault\nmetadata: {name: x}\n" },
            "root/kustomization.yaml: generators: SecretsFromVault (example.com/v1) is a plugin; the guard runs no plugins or exec functions"
        },
        {
            "a path that does not exist",
            new() { ["root/kustomization.yaml"] = "resources: [../base]\n" },
            "root/kustomization.yaml: resources: \"../base\" not found in the commit"
        },
        {
            "a path outside the repository",
            new() { ["root/kustomization.yaml"] = "resources: [../../../../etc/passwd]\n" },
            "root/kustomization.yaml: resources: \"../../../../etc/passwd\" is outside the repository"
        },
        {
            "a base's own problem",
            new() { ["root/kustomization.yaml"] = "resources: [../base]\n", ["base/kustomization.yaml"] = "resources: [https://example.com/policy.yaml]\n" },
            "base/kustomization.yaml: resources: \"https://example.com/policy.yaml\" is remote"
        },
        {
            "kustomize's own refusal",
            new() { ["root/kustomization.yaml"] = "resources: [policy.yaml]\n", ["root/policy.yaml"] = "apiVersion: v1\nkind: ConfigMap\n" },
            "root/kustomization.yaml: kustomize: "
        },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_source_that_cannot_be_rendered_makes_the_commit_invalid_with_one_line_naming_the_kustomization(string behaviour, Dictionary<string, string> files, string expected)
    {
        using var repository = new SourceRepository(files);

        var error = Assert.Throws<BaselineLoadException>(() => repository.Load(git => git.Sources = [Source("root")]));

        Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), $"{behaviour}: {error.Message}");
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal(repository.Commit, error.Commit);
    }

    [Fact]
    public void A_render_over_its_timeout_is_stopped_and_makes_the_commit_invalid()
    {
        using var repository = new SourceRepository(new Dictionary<string, string> { ["root/kustomization.yaml"] = "resources: []\n" });
        using var tools = new TempDirectory();
        var slow = tools.Combine("slow-kustomize");
        File.WriteAllText(slow, "#!/bin/sh\nsleep 30\n");
        Processes.Run("chmod", tools.Path, "+x", slow);
        var started = System.Diagnostics.Stopwatch.StartNew();

        var error = Assert.Throws<BaselineLoadException>(() => repository.Load(git =>
        {
            git.Sources = [Source("root")];
            git.Kustomize.Command = slow;
            git.Kustomize.Timeout = "1s";
        }));

        Assert.Contains("root/kustomization.yaml: kustomize took more than 1s (AdmissionGuard:Git:Kustomize:Timeout)", error.Message, StringComparison.Ordinal);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(25), "the render was stopped at its timeout");
    }

    [SkippableFact]
    public async Task The_server_renders_the_sources_it_is_configured_with_through_the_configured_kustomize()
    {
        Prerequisite.Command("kubectl", "rendered sources are built with kubectl kustomize when kustomize is not installed");
        using var repository = new SourceRepository(BaseAndOverlays());
        using var tools = new TempDirectory();
        var called = tools.Combine("called");
        var wrapper = tools.Combine("kustomize-wrapper");
        File.WriteAllText(wrapper, $"#!/bin/sh\ntouch '{called}'\nexec kubectl kustomize \"$@\"\n");
        Processes.Run("chmod", tools.Path, "+x", wrapper);

        await using var host = await GuardHost.StartAsync(repository.Path, new Dictionary<string, string?>
        {
            ["Git:Sources:0:Path"] = "apps/overlays/prod",
            ["Git:Kustomize:Command"] = wrapper,
        });
        var status = await host.WaitForCommitAsync(repository.Commit);

        var source = Assert.Single(status["sources"]!.AsArray())!;
        Assert.Equal(("apps/overlays/prod", "kustomize", 2), (source["path"]!.GetValue<string>(), source["render"]!.GetValue<string>(), source["policies"]!.GetValue<int>()));
        Assert.Equal(2, status["objectCount"]!.GetValue<int>());
        Assert.True(File.Exists(called), "the configured Git:Kustomize:Command ran");
    }
}
