using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using LibGit2Sharp;
using YamlDotNet.Core.Events;

namespace AdmissionGuard.Git.Sources;

/// <summary>
/// Sources named by the GitOps tools' own objects declared in the repository (<c>Git:Discover</c>): Flux
/// <c>Kustomization</c>s whose <c>sourceRef</c> is this repository, and Argo CD <c>Application</c>s whose
/// <c>repoURL</c> is. What the guard cannot render (Helm, a plugin, another repository or revision, a
/// <c>substituteFrom</c> Secret) is returned too, with the reason, so that it is listed rather than skipped.
/// </summary>
internal static class SourceDiscovery
{
    public static ImmutableArray<ManifestSource> Find(SourcePlan plan, Dictionary<string, Blob> blobs, string commitSha, string gitRef)
    {
        if (plan.Discover == DiscoverTools.None)
        {
            return [];
        }

        var objects = Objects(blobs, commitSha);
        var found = ImmutableArray.CreateBuilder<ManifestSource>();
        if (plan.Discover.HasFlag(DiscoverTools.Flux))
        {
            found.AddRange(FluxKustomizations.Sources(objects, plan, gitRef, blobs.Keys));
        }

        if (plan.Discover.HasFlag(DiscoverTools.ArgoCD))
        {
            found.AddRange(ArgoCdApplications.Sources(objects, plan, gitRef, blobs));
        }

        return found.ToImmutable();
    }

    /// <summary>The objects of the kinds discovery reads, from every YAML file of the commit that parses.</summary>
    private static List<DeclaredObject> Objects(Dictionary<string, Blob> blobs, string commitSha)
    {
        var objects = new List<DeclaredObject>();
        foreach (var (path, blob) in blobs.OrderBy(b => b.Key, StringComparer.Ordinal))
        {
            if (!(path.EndsWith(".yaml", StringComparison.Ordinal) || path.EndsWith(".yml", StringComparison.Ordinal)) || blob.Size > ManifestReader.MaxFileBytes)
            {
                continue;
            }

            string text;
            try
            {
                text = ManifestText.Decode(path, blob, commitSha);
            }
            catch (BaselineLoadException)
            {
                continue;
            }

            if (!(text.Contains("kind: Kustomization", StringComparison.Ordinal) || text.Contains("kind: Application", StringComparison.Ordinal)
                || text.Contains("kind: GitRepository", StringComparison.Ordinal) || text.Contains("kind: ConfigMap", StringComparison.Ordinal)))
            {
                continue;
            }

            try
            {
                var nodes = YamlNodes.Parse(text, []);
                foreach (var root in nodes.Documents.Select(nodes.Resolve).Where(d => nodes[d] is MappingStart))
                {
                    if (nodes.ScalarValue(root, "kind") is "Kustomization" or "Application" or "GitRepository" or "ConfigMap")
                    {
                        using var json = YamlToJson.Convert(nodes, root);
                        objects.Add(new DeclaredObject(path, JsonNode.Parse(json.RootElement.GetRawText())!.AsObject()));
                    }
                }
            }
            catch (Exception e) when (e is YamlDotNet.Core.YamlException or InvalidOperationException or ArgumentException or FormatException or OverflowException or JsonException)
            {
                // Not a manifest the tools could read either: nothing to discover in it.
            }
        }

        return objects;
    }
}

/// <summary>An object declared in a file of the repository, as JSON.</summary>
internal sealed record DeclaredObject(string File, JsonObject Json)
{
    public string? ApiVersion => Text(Json, "apiVersion");

    public string? Kind => Text(Json, "kind");

    public string Name => Text(Json["metadata"], "name") ?? "";

    public string? Namespace => Text(Json["metadata"], "namespace");

    public JsonNode? Spec => Json["spec"];

    public static string? Text(JsonNode? node, string field) =>
        node is JsonObject o && o[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static IEnumerable<JsonNode> Items(JsonNode? node, string field) =>
        node is JsonObject o && o[field] is JsonArray a ? a.Where(i => i is not null).Select(i => i!) : [];

    public static ImmutableSortedDictionary<string, string> Map(JsonNode? node, string field) =>
        node is JsonObject o && o[field] is JsonObject map
            ? map.Where(p => p.Value is JsonValue).ToImmutableSortedDictionary(p => p.Key, p => p.Value!.ToString(), StringComparer.Ordinal)
            : ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>A path as the tools write it (<c>./apps/prod/</c>) as a repository folder (<c>apps/prod</c>); null when it leaves the repository.</summary>
    public static string? Folder(string? path)
    {
        var problems = new List<string>();
        var folder = SourcePlan.RepositoryPath(path, "path", problems);
        return problems.Count == 0 ? folder : null;
    }
}
