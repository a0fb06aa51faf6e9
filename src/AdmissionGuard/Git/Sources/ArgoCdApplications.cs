using System.Collections.Immutable;
using System.Text.Json.Nodes;
using LibGit2Sharp;

namespace AdmissionGuard.Git.Sources;

/// <summary>
/// Argo CD <c>Application</c>s (<c>argoproj.io</c>) as the repo-server renders them: each <c>source</c> (or
/// <c>sources[]</c> entry) whose <c>repoURL</c> is this repository; a kustomization folder is built with the
/// <c>kustomize</c> options applied as <c>kustomize edit</c> applies them, any other folder read as a directory
/// (<c>recurse</c>, <c>include</c>, <c>exclude</c>); <c>destination.namespace</c> fills in missing namespaces only.
/// </summary>
internal static class ArgoCdApplications
{
    public static IEnumerable<ManifestSource> Sources(List<DeclaredObject> objects, SourcePlan plan, string gitRef, Dictionary<string, Blob> blobs)
    {
        foreach (var application in objects.Where(o => o.Kind == "Application" && o.ApiVersion?.StartsWith("argoproj.io/", StringComparison.Ordinal) == true))
        {
            var foundBy = $"Argo CD Application {application.Namespace ?? "argocd"}/{application.Name}";
            var spec = application.Spec;
            var destination = DeclaredObject.Text(spec?["destination"], "namespace") is { Length: > 0 } ns ? ns : null;
            var sources = spec?["sources"] is JsonArray many ? many.Where(s => s is not null).Select(s => s!) : spec?["source"] is { } one ? [one] : [];
            foreach (var source in sources)
            {
                var url = DeclaredObject.Text(source, "repoURL");
                var folder = DeclaredObject.Folder(DeclaredObject.Text(source, "path"));
                var found = new ManifestSource(folder ?? "", RenderMode.Auto, foundBy) { Namespace = destination };
                var revision = DeclaredObject.Text(source, "targetRevision");
                if (DeclaredObject.Text(source, "chart") is { } chart)
                {
                    yield return found with { NotRendered = $"a Helm chart ({chart} from {url}) is not rendered: see docs/sources.md for the rendered-manifests pattern ({application.File})" };
                }
                else if (!plan.Repository.Names(url))
                {
                    yield return found with { NotRendered = $"its repoURL {url} is not this repository (add it to AdmissionGuard:Git:RepositoryAliases if it is) ({application.File})" };
                }
                else if (NotRendered(source, folder, revision, gitRef, blobs) is { } reason)
                {
                    yield return found with { NotRendered = $"{reason} ({application.File})" };
                }
                else if (HasKustomization(folder!, blobs))
                {
                    var kustomize = source["kustomize"];
                    yield return found with
                    {
                        Render = RenderMode.Kustomize,
                        Edits = new KustomizeEdits
                        {
                            NamePrefix = DeclaredObject.Text(kustomize, "namePrefix"),
                            NameSuffix = DeclaredObject.Text(kustomize, "nameSuffix"),
                            Namespace = DeclaredObject.Text(kustomize, "namespace") is { Length: > 0 } forced ? forced : null,
                            CommonLabels = DeclaredObject.Map(kustomize, "commonLabels"),
                            CommonAnnotations = DeclaredObject.Map(kustomize, "commonAnnotations"),
                            Patches = [.. DeclaredObject.Items(kustomize, "patches").Select(p => p.DeepClone())],
                            Components = [.. DeclaredObject.Items(kustomize, "components").Select(c => c.ToString())],
                        },
                    };
                }
                else
                {
                    var directory = source["directory"];
                    var recurse = directory?["recurse"] is JsonValue r && r.TryGetValue<bool>(out var deep) && deep;
                    var include = DeclaredObject.Text(directory, "include") is { Length: > 0 } given ? Globs.Expand(given) : ["*.yaml", "*.yml", "*.json"];
                    yield return found with
                    {
                        Render = RenderMode.Plain,
                        Include = [.. include.Select(g => recurse && !g.Contains('/', StringComparison.Ordinal) ? "**/" + g : g)],
                        Exclude = DeclaredObject.Text(directory, "exclude") is { Length: > 0 } excluded ? [.. Globs.Expand(excluded)] : [],
                    };
                }
            }
        }
    }

    private static string? NotRendered(JsonNode source, string? folder, string? revision, string gitRef, Dictionary<string, Blob> blobs)
    {
        if (folder is null)
        {
            return $"path {DeclaredObject.Text(source, "path")} leaves the repository";
        }

        if (revision is { Length: > 0 } && revision != "HEAD" && revision != gitRef)
        {
            return $"it follows revision {revision}, and the guard reads {gitRef}";
        }

        if (source["plugin"] is not null)
        {
            return "a config management plugin is not run";
        }

        if (source["helm"] is not null || blobs.ContainsKey(folder.Length == 0 ? "Chart.yaml" : folder + "/Chart.yaml"))
        {
            return "a Helm chart is not rendered: see docs/sources.md for the rendered-manifests pattern";
        }

        var prefix = folder.Length == 0 ? "" : folder + "/";
        return blobs.Keys.Any(p => p.StartsWith(prefix, StringComparison.Ordinal)) ? null : $"folder {folder} not found in the commit";
    }

    private static bool HasKustomization(string folder, Dictionary<string, Blob> blobs) =>
        KustomizationScan.FileNames.Any(name => blobs.ContainsKey(folder.Length == 0 ? name : $"{folder}/{name}"));
}
