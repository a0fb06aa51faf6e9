using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace AdmissionGuard.Git.Sources;

/// <summary>
/// Flux <c>Kustomization</c>s (<c>kustomize.toolkit.fluxcd.io</c>) as kustomize-controller builds them: <c>path</c>,
/// <c>targetNamespace</c>, <c>namePrefix</c>, <c>nameSuffix</c>, <c>commonMetadata</c>, <c>patches</c>, <c>components</c>,
/// and <c>postBuild</c> substitution from <c>substitute</c> and the ConfigMaps of <c>substituteFrom</c> declared in the
/// repository (inline values win, later ConfigMaps over earlier ones).
/// </summary>
internal static class FluxKustomizations
{
    public static IEnumerable<ManifestSource> Sources(List<DeclaredObject> objects, SourcePlan plan, string gitRef, ICollection<string> paths)
    {
        var repositories = objects.Where(o => o.Kind == "GitRepository" && o.ApiVersion?.StartsWith("source.toolkit.fluxcd.io/", StringComparison.Ordinal) == true).ToList();
        var configMaps = objects.Where(o => o.Kind == "ConfigMap" && o.ApiVersion == "v1").ToList();
        foreach (var kustomization in objects.Where(o => o.Kind == "Kustomization" && o.ApiVersion?.StartsWith("kustomize.toolkit.fluxcd.io/", StringComparison.Ordinal) == true))
        {
            var ns = kustomization.Namespace ?? "flux-system";
            var foundBy = $"Flux Kustomization {ns}/{kustomization.Name}";
            var spec = kustomization.Spec;
            var folder = DeclaredObject.Folder(DeclaredObject.Text(spec, "path"));
            var source = new ManifestSource(folder ?? "", RenderMode.Auto, foundBy);
            if (folder is null)
            {
                yield return source with { NotRendered = $"spec.path {DeclaredObject.Text(spec, "path")} leaves the repository ({kustomization.File})" };
                continue;
            }

            if (NotThisRepository(spec?["sourceRef"], ns, repositories, plan, gitRef) is { } elsewhere)
            {
                yield return source with { NotRendered = $"{elsewhere} ({kustomization.File})" };
                continue;
            }

            var prefix = folder.Length == 0 ? "" : folder + "/";
            if (!paths.Any(p => p.StartsWith(prefix, StringComparison.Ordinal)))
            {
                yield return source with { NotRendered = $"folder {folder} not found in the commit ({kustomization.File})" };
                continue;
            }

            var (variables, missing) = Variables(spec?["postBuild"], ns, configMaps);
            if (missing is not null)
            {
                yield return source with { NotRendered = $"{missing} ({kustomization.File})" };
                continue;
            }

            var metadata = spec?["commonMetadata"];
            yield return source with
            {
                TargetNamespace = DeclaredObject.Text(spec, "targetNamespace") is { Length: > 0 } target ? target : null,
                Substitute = variables,
                Edits = new KustomizeEdits
                {
                    NamePrefix = DeclaredObject.Text(spec, "namePrefix"),
                    NameSuffix = DeclaredObject.Text(spec, "nameSuffix"),
                    MetadataLabels = DeclaredObject.Map(metadata, "labels"),
                    CommonAnnotations = DeclaredObject.Map(metadata, "annotations"),
                    Patches = [.. DeclaredObject.Items(spec, "patches").Select(p => p.DeepClone())],
                    Components = [.. DeclaredObject.Items(spec, "components").Select(c => c.ToString())],
                },
            };
        }
    }

    /// <summary>Why the source reference is not this repository at <c>Git:Ref</c>, or null when it is.</summary>
    private static string? NotThisRepository(JsonNode? reference, string ns, List<DeclaredObject> repositories, SourcePlan plan, string gitRef)
    {
        var kind = DeclaredObject.Text(reference, "kind") ?? "GitRepository";
        var name = DeclaredObject.Text(reference, "name") ?? "";
        var refNamespace = DeclaredObject.Text(reference, "namespace") ?? ns;
        if (kind != "GitRepository")
        {
            return $"its source is a {kind} ({refNamespace}/{name}), not this Git repository";
        }

        // The name flux bootstrap gives the repository it bootstraps from: its URL is often another form of this one.
        if (plan.FluxSources.Contains(name))
        {
            return null;
        }

        var declared = repositories.FirstOrDefault(r => r.Name == name && (r.Namespace ?? "flux-system") == refNamespace);
        if (declared is not null)
        {
            var url = DeclaredObject.Text(declared.Spec, "url");
            if (!plan.Repository.Names(url))
            {
                return $"its GitRepository {refNamespace}/{name} is {url}, not this repository (add that URL to AdmissionGuard:Git:RepositoryAliases if it is)";
            }

            var branch = DeclaredObject.Text(declared.Spec?["ref"], "branch");
            return branch is { Length: > 0 } && branch != gitRef ? $"its GitRepository {refNamespace}/{name} follows branch {branch}, and the guard reads {gitRef}" : null;
        }

        return $"its GitRepository {refNamespace}/{name} is not declared in the repository nor named in AdmissionGuard:Git:Discover:FluxSources";
    }

    /// <summary>The substitution variables, or why they cannot be known from Git.</summary>
    private static (ImmutableSortedDictionary<string, string> Variables, string? Missing) Variables(JsonNode? postBuild, string ns, List<DeclaredObject> configMaps)
    {
        var variables = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var from in DeclaredObject.Items(postBuild, "substituteFrom"))
        {
            var kind = DeclaredObject.Text(from, "kind");
            var name = DeclaredObject.Text(from, "name") ?? "";
            var optional = from["optional"] is JsonValue v && v.TryGetValue<bool>(out var o) && o;
            if (kind == "Secret")
            {
                return (ImmutableSortedDictionary<string, string>.Empty, $"postBuild.substituteFrom Secret {ns}/{name} cannot be read from Git: give its values as AdmissionGuard:Git:Sources with Substitute, or move them to a ConfigMap");
            }

            var map = configMaps.FirstOrDefault(c => c.Name == name && (c.Namespace ?? ns) == ns);
            if (map is null)
            {
                if (optional)
                {
                    continue;
                }

                return (ImmutableSortedDictionary<string, string>.Empty, $"postBuild.substituteFrom ConfigMap {ns}/{name} is not declared in the repository");
            }

            foreach (var (key, value) in DeclaredObject.Map(map.Json, "data"))
            {
                variables[key] = value;
            }
        }

        foreach (var (key, value) in DeclaredObject.Map(postBuild, "substitute"))
        {
            variables[key] = value;
        }

        return (variables.ToImmutable(), null);
    }
}
