using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AdmissionGuard.Git.Sources;

/// <summary>
/// Walks the kustomization files a build will read, before kustomize runs, and refuses what the guard never does:
/// fetch a remote base, inflate a Helm chart, run a plugin, or read a file outside the checkout. It records what
/// each kustomization reaches (resource files, other kustomizations, name prefixes and suffixes), from which
/// <see cref="Provenance"/> tells which file declares a rendered policy. With <paramref name="annotate"/>, each
/// visited file gets <c>buildMetadata: [originAnnotations]</c> instead, so that kustomize names the file of every
/// object itself (at about half as much again per render).
/// </summary>
internal sealed class KustomizationScan(RepositoryCheckout checkout, bool annotate = false)
{
    public static readonly string[] FileNames = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

    private static readonly string[] PathLists = ["resources", "bases", "components", "crds", "configurations"];
    private static readonly string[] PluginLists = ["generators", "transformers", "validators"];
    private static readonly string[] HelmFields = ["helmCharts", "helmChartInflationGenerator", "helmGlobals"];

    private readonly HashSet<string> _visited = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Reached> _reached = new(StringComparer.Ordinal);

    /// <summary>What one kustomization file names: resource files and kustomizations (full paths), and its name affixes.</summary>
    private sealed record Reached(List<string> Files, List<string> Kustomizations, string? NamePrefix, string? NameSuffix);

    /// <summary>The kustomization file of a folder of the checkout, or null.</summary>
    public static string? FileIn(string folder) =>
        FileNames.Select(name => Path.Combine(folder, name)).FirstOrDefault(File.Exists);

    /// <summary>Checks and annotates the kustomization at <paramref name="folder"/> and all it reaches; throws <see cref="RenderException"/>.</summary>
    public void Visit(string folder)
    {
        var file = FileIn(folder) ?? throw new RenderException(checkout.Relative(folder) ?? folder, "no kustomization.yaml, kustomization.yml or Kustomization in this folder");
        if (!_visited.Add(file))
        {
            return;
        }

        var name = checkout.Relative(file)!;
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(File.ReadAllText(file)));
        }
        catch (YamlException e)
        {
            throw new RenderException(name, $"line {e.Start.Line}: {e.Message}");
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new RenderException(name, "is not a mapping of kustomization fields");
        }

        foreach (var field in HelmFields.Where(f => root.Children.ContainsKey(f)))
        {
            throw new RenderException(name, $"{field}: Helm charts are not rendered; commit the chart's rendered output (see docs/sources.md) or leave this source out");
        }

        var reached = new Reached([], [], Scalar(root, "namePrefix"), Scalar(root, "nameSuffix"));
        _reached[file] = reached;
        foreach (var list in PathLists)
        {
            foreach (var entry in Strings(root, list))
            {
                var full = Reference(folder, name, list, entry, mayBeFolder: true);
                if (Directory.Exists(full))
                {
                    reached.Kustomizations.Add(FileIn(full)!);
                }
                else if (list is "resources" or "bases")
                {
                    reached.Files.Add(full);
                }
            }
        }

        foreach (var list in PluginLists)
        {
            foreach (var entry in Strings(root, list))
            {
                Plugin(folder, name, list, entry);
            }
        }

        foreach (var entry in Strings(root, "patchesStrategicMerge").Where(e => !e.Contains('\n', StringComparison.Ordinal)))
        {
            Reference(folder, name, "patchesStrategicMerge", entry, mayBeFolder: false);
        }

        foreach (var list in new[] { "patches", "patchesJson6902", "replacements" })
        {
            foreach (var entry in Mappings(root, list))
            {
                if (Scalar(entry, "path") is { } path)
                {
                    Reference(folder, name, list, path, mayBeFolder: false);
                }
            }
        }

        foreach (var list in new[] { "configMapGenerator", "secretGenerator" })
        {
            foreach (var entry in Mappings(root, list))
            {
                var files = Strings(entry, "files").Select(f => f.Contains('=', StringComparison.Ordinal) ? f[(f.IndexOf('=', StringComparison.Ordinal) + 1)..] : f);
                foreach (var path in files.Concat(Strings(entry, "envs")).Concat(Scalar(entry, "env") is { } env ? [env] : []))
                {
                    Reference(folder, name, list, path, mayBeFolder: false);
                }
            }
        }

        if (root.Children.TryGetValue("openapi", out var openapi) && openapi is YamlMappingNode openapiFields && Scalar(openapiFields, "path") is { } schema)
        {
            Reference(folder, name, "openapi", schema, mayBeFolder: false);
        }

        if (annotate && !HasOriginAnnotations(root))
        {
            AddOriginAnnotations(root);
            using var writer = new StreamWriter(file, append: false);
            stream.Save(writer, assignAnchors: false);
        }
    }

    /// <returns>The full path of the file or folder the entry names.</returns>
    private string Reference(string folder, string file, string field, string entry, bool mayBeFolder)
    {
        if (LooksRemote(entry))
        {
            throw new RenderException(file, $"{field}: {Core.Excerpt.Quoted(entry)} is remote; the guard builds without network: vendor it into the repository");
        }

        if (Path.IsPathRooted(entry))
        {
            throw new RenderException(file, $"{field}: {Core.Excerpt.Quoted(entry)} is an absolute path; only paths inside the repository are read");
        }

        var full = Path.GetFullPath(Path.Combine(folder, entry));
        if (checkout.Relative(full) is null)
        {
            throw new RenderException(file, $"{field}: {Core.Excerpt.Quoted(entry)} is outside the repository");
        }

        if (mayBeFolder && Directory.Exists(full))
        {
            Visit(full);
        }
        else if (!File.Exists(full))
        {
            throw new RenderException(file, $"{field}: {Core.Excerpt.Quoted(entry)} not found in the commit");
        }

        return full;
    }

    /// <summary>The resource files and name affixes a visited folder's build reaches, with those <paramref name="edits"/> add, for <see cref="Provenance"/>.</summary>
    public Provenance ProvenanceOf(string folder, KustomizeEdits edits)
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        var prefixes = new HashSet<string>(StringComparer.Ordinal);
        var suffixes = new HashSet<string>(StringComparer.Ordinal);
        AddIfSet(prefixes, edits.NamePrefix);
        AddIfSet(suffixes, edits.NameSuffix);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([FileIn(folder)!]);
        while (pending.TryPop(out var file))
        {
            if (!seen.Add(file) || !_reached.TryGetValue(file, out var reached))
            {
                continue;
            }

            files.UnionWith(reached.Files.Select(f => checkout.Relative(f)!));
            AddIfSet(prefixes, reached.NamePrefix);
            AddIfSet(suffixes, reached.NameSuffix);
            foreach (var kustomization in reached.Kustomizations)
            {
                pending.Push(kustomization);
            }
        }

        return new Provenance(checkout, [.. files], prefixes, suffixes);
    }

    private static void AddIfSet(HashSet<string> set, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            set.Add(value);
        }
    }

    /// <summary>Generators, transformers and validators may only configure kustomize's built-in plugins.</summary>
    private void Plugin(string folder, string file, string field, string entry)
    {
        string text;
        if (entry.Contains('\n', StringComparison.Ordinal))
        {
            text = entry;
        }
        else
        {
            Reference(folder, file, field, entry, mayBeFolder: true);
            var full = Path.GetFullPath(Path.Combine(folder, entry));
            if (Directory.Exists(full))
            {
                return;
            }

            text = File.ReadAllText(full);
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new RenderException(file, $"{field}: {Core.Excerpt.Quoted(entry)}: line {e.Start.Line}: {e.Message}");
        }

        foreach (var document in stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>())
        {
            if (Scalar(document, "apiVersion") != "builtin")
            {
                throw new RenderException(file, $"{field}: {Scalar(document, "kind") ?? "a plugin"} ({Scalar(document, "apiVersion") ?? "no apiVersion"}) is a plugin; the guard runs no plugins or exec functions, only kustomize's built-in ones");
            }
        }
    }

    /// <summary>As kustomize tells a remote base from a local path: a URL, an scp-like Git address, or a host name first.</summary>
    private static bool LooksRemote(string entry) =>
        entry.Contains("://", StringComparison.Ordinal) || entry.StartsWith("git@", StringComparison.Ordinal)
        || entry.Contains("?ref=", StringComparison.Ordinal) || entry.Contains("?version=", StringComparison.Ordinal)
        || entry.Split('/')[0] is var first && first.Contains('.', StringComparison.Ordinal) && first is not ("." or "..") && entry.Contains('/', StringComparison.Ordinal)
            && (first.EndsWith(".com", StringComparison.Ordinal) || first.EndsWith(".org", StringComparison.Ordinal) || first.EndsWith(".io", StringComparison.Ordinal));

    private static bool HasOriginAnnotations(YamlMappingNode root) =>
        root.Children.TryGetValue("buildMetadata", out var metadata) && metadata is YamlSequenceNode items
        && items.Children.OfType<YamlScalarNode>().Any(i => i.Value == "originAnnotations");

    private static void AddOriginAnnotations(YamlMappingNode root)
    {
        if (root.Children.TryGetValue("buildMetadata", out var metadata) && metadata is YamlSequenceNode items)
        {
            items.Add(new YamlScalarNode("originAnnotations"));
        }
        else
        {
            root.Children[new YamlScalarNode("buildMetadata")] = new YamlSequenceNode(new YamlScalarNode("originAnnotations"));
        }
    }

    private static IEnumerable<string> Strings(YamlMappingNode mapping, string field) =>
        mapping.Children.TryGetValue(field, out var node) && node is YamlSequenceNode list
            ? list.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? "").Where(s => s.Length > 0)
            : [];

    private static IEnumerable<YamlMappingNode> Mappings(YamlMappingNode mapping, string field) =>
        mapping.Children.TryGetValue(field, out var node) && node is YamlSequenceNode list ? list.Children.OfType<YamlMappingNode>() : [];

    private static string? Scalar(YamlMappingNode mapping, string field) =>
        mapping.Children.TryGetValue(field, out var node) && node is YamlScalarNode scalar ? scalar.Value : null;
}
