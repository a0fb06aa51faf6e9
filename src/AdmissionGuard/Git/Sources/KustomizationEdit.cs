using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace AdmissionGuard.Git.Sources;

/// <summary>
/// Makes a GitOps tool's edits to the kustomization it builds, in place, as the tool does (Flux's kustomize-controller,
/// Argo CD's <c>kustomize edit</c>): the name prefix, suffix and namespace are set, labels and annotations added, patches
/// and components appended.
/// </summary>
internal static class KustomizationEdit
{
    public static void Apply(string file, KustomizeEdits edits, string name)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(file)));
        if (stream.Documents.FirstOrDefault()?.RootNode is not YamlMappingNode root)
        {
            throw new RenderException(name, "is not a mapping of kustomization fields");
        }

        Set(root, "namePrefix", edits.NamePrefix);
        Set(root, "nameSuffix", edits.NameSuffix);
        Set(root, "namespace", edits.Namespace);
        Merge(root, "commonLabels", edits.CommonLabels);
        Merge(root, "commonAnnotations", edits.CommonAnnotations);
        if (!edits.MetadataLabels.IsEmpty)
        {
            var pairs = new YamlMappingNode();
            foreach (var (key, value) in edits.MetadataLabels)
            {
                pairs.Add(key, new YamlScalarNode(value) { Style = YamlDotNet.Core.ScalarStyle.DoubleQuoted });
            }

            Sequence(root, "labels").Add(new YamlMappingNode { { "pairs", pairs }, { "includeSelectors", "false" } });
        }

        foreach (var patch in edits.Patches)
        {
            Sequence(root, "patches").Add(FromJson(patch.ToJsonString()));
        }

        foreach (var component in edits.Components)
        {
            Sequence(root, "components").Add(component);
        }

        using var writer = new StreamWriter(file, append: false);
        stream.Save(writer, assignAnchors: false);
    }

    private static void Set(YamlMappingNode root, string field, string? value)
    {
        if (value is not null)
        {
            root.Children[new YamlScalarNode(field)] = new YamlScalarNode(value) { Style = YamlDotNet.Core.ScalarStyle.DoubleQuoted };
        }
    }

    private static void Merge(YamlMappingNode root, string field, System.Collections.Immutable.ImmutableSortedDictionary<string, string> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }

        if (!root.Children.TryGetValue(field, out var node) || node is not YamlMappingNode map)
        {
            map = new YamlMappingNode();
            root.Children[new YamlScalarNode(field)] = map;
        }

        foreach (var (key, value) in entries)
        {
            map.Children[new YamlScalarNode(key)] = new YamlScalarNode(value) { Style = YamlDotNet.Core.ScalarStyle.DoubleQuoted };
        }
    }

    private static YamlSequenceNode Sequence(YamlMappingNode root, string field)
    {
        if (root.Children.TryGetValue(field, out var node) && node is YamlSequenceNode list)
        {
            return list;
        }

        list = new YamlSequenceNode();
        root.Children[new YamlScalarNode(field)] = list;
        return list;
    }

    /// <summary>JSON is YAML: a patch as the GitOps object held it, read back as a YAML node.</summary>
    private static YamlNode FromJson(string json)
    {
        using var _ = JsonDocument.Parse(json);
        var stream = new YamlStream();
        stream.Load(new StringReader(json));
        return stream.Documents[0].RootNode;
    }
}
