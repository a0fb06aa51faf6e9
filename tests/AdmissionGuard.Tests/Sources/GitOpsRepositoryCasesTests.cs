using System.Text.Json.Nodes;
using AdmissionGuard.Cli;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Git;
using AdmissionGuard.Git.Sources;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Sources;

/// <summary>
/// Nine real GitOps repositories (../shared/gitops-repos, see its README.md), each with what a real API server stored
/// after its GitOps tool applied it (live.yaml): read through their roots as <c>Git:Sources</c>, with the real
/// kustomize, each must declare exactly the policies the tool rendered and show no drift against live.yaml.
/// </summary>
public sealed class GitOpsRepositoryCasesTests
{
    private const string Folder = "gitops-repos";

    public static TheoryData<string> Cases()
    {
        var rows = new TheoryData<string>();
        if (!Prerequisite.HasSharedFolder(Folder))
        {
            rows.Add(Prerequisite.AbsentRow);
            return rows;
        }

        foreach (var entry in Load().Where(c => c["duplicates_in_render"] is null))
        {
            rows.Add(entry["case"]!.GetValue<string>());
        }

        return rows;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void Each_repository_rendered_through_its_roots_declares_what_its_tool_applied_and_has_no_drift(string name)
    {
        var entry = Case(name);
        var (baseline, folder) = LoadCase(entry);

        var expected = entry["expected_policies"]!.AsArray().Select(p => p!.GetValue<string>()).Order(StringComparer.Ordinal);
        Assert.Equal(expected, baseline.Entries.Select(e => e.Policy.Id.ToString()).Order(StringComparer.Ordinal));
        var live = LiveFile.Read(Path.Combine(folder, "live.yaml"), "default");
        var report = Core.Drift.Find(baseline, live, AllNamespaces, [], DateTimeOffset.UtcNow);
        Assert.True(!report.HasDrift, string.Join('\n', report.Items.Select(i => $"{i.Type} {i.Id}: {string.Join("; ", i.Differences)}")));
    }

    [SkippableFact]
    public void A_policy_declared_twice_in_one_render_is_named_with_both_files()
    {
        var entry = Load().Single(c => c["duplicates_in_render"] is not null);
        var duplicate = entry["duplicates_in_render"]![0]!.GetValue<string>();

        var error = Assert.Throws<BaselineLoadException>(() => LoadCase(entry));

        Assert.Contains($"NetworkPolicy {duplicate} is declared twice: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("kustomize/base/core-services/encryption-service.yaml via kustomize/base/core-services", error.Message, StringComparison.Ordinal);
        Assert.Contains("kustomize/base/core-services/network-policies.yaml via kustomize/base/core-services", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_rendered_policy_names_the_base_or_component_file_that_declares_it()
    {
        var (baseline, _) = LoadCase(Case("monosense-io__k8s-gitops"));

        var entry = baseline.Find(new Core.Policy.PolicyKey("rook-ceph", "allow-dns-egress"))!;

        Assert.Equal("kubernetes/components/networkpolicy/allow-dns/networkpolicy.yaml", entry.SourcePath);
        Assert.Equal("kubernetes/infrastructure/security/networkpolicy", entry.Via);
        Assert.DoesNotContain(Git.ManifestReader.OriginAnnotation, entry.Policy.Annotations.Keys);
    }

    [SkippableTheory]
    [InlineData("monosense-io__k8s-gitops", "Flux")]
    [InlineData("fabianlee__flux-bootstrap", "Flux")]
    public void Discovered_from_the_repositorys_own_Flux_Kustomizations_each_renders_as_its_roots(string name, string discover)
    {
        var entry = Case(name);
        var (baseline, folder) = LoadCase(entry, discover);

        var expected = entry["expected_policies"]!.AsArray().Select(p => p!.GetValue<string>()).Order(StringComparer.Ordinal);
        Assert.Equal(expected, baseline.Entries.Select(e => e.Policy.Id.ToString()).Order(StringComparer.Ordinal));
        var report = Core.Drift.Find(baseline, LiveFile.Read(Path.Combine(folder, "live.yaml"), "default"), AllNamespaces, [], DateTimeOffset.UtcNow);
        Assert.False(report.HasDrift);
    }

    [SkippableFact]
    public void Discovered_from_its_Argo_CD_Application_the_repository_with_a_duplicate_names_it()
    {
        var error = Assert.Throws<BaselineLoadException>(() => LoadCase(Case("lordmuffin__grill-stats"), "ArgoCD"));

        Assert.Contains("NetworkPolicy grill-stats/encryption-service-network-policy is declared twice: ", error.Message, StringComparison.Ordinal);
    }

    private static readonly DecisionSettings AllNamespaces = new() { ExcludedNamespaces = [] };

    /// <param name="discover">Read the roots from the repository's own GitOps objects instead of configuring them.</param>
    private static (Baseline Baseline, string Folder) LoadCase(JsonNode entry, string? discover = null)
    {
        var name = entry["case"]!.GetValue<string>();
        var folder = Path.Combine(Prerequisite.SharedFolder(Folder), name);
        Prerequisite.Command("kubectl", "rendered sources are built with kubectl kustomize when kustomize is not installed");
        using var repository = new GitRepository();
        using var cache = new TempDirectory();
        CopyTree(folder, repository.Path);
        var commit = repository.Commit(new Dictionary<string, string>());
        var settings = new GitSettings
        {
            Repository = repository.Path,
            CacheDirectory = cache.Path,
            Sources = [.. entry["roots"]!.AsArray().Select(root => new SourceSettings
            {
                Path = root!["path"]!.GetValue<string>(),
                Namespace = root["namespace"]?.GetValue<string>(),
                Render = root["render"]!.GetValue<string>() == "plain" ? "Plain" : "Kustomize",
                Substitute = root["substitutions"]?.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>()),
            })],
        };
        if (discover is not null)
        {
            settings.Sources = null;
            settings.Discover = discover;
            settings.RepositoryAliases = [entry["repo"]!.GetValue<string>()];
        }

        var source = new GitBaselineSource(settings, TimeProvider.System);
        return (source.Load(source.Fetch(CancellationToken.None), DateTimeOffset.UtcNow).Baseline, folder);
    }

    /// <summary>The case's files, without what describes it (live.yaml is what the cluster holds, not what Git declares).</summary>
    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative is "live.yaml" or "SOURCE.txt")
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, relative))!);
            File.Copy(file, Path.Combine(to, relative));
        }
    }

    private static JsonNode Case(string name) => Load().Single(c => c["case"]!.GetValue<string>() == name);

    private static List<JsonNode> Load() =>
        [.. JsonNode.Parse(File.ReadAllText(Path.Combine(Prerequisite.SharedFolder(Folder), "CASES.json")))!.AsArray().Select(c => c!)];
}
