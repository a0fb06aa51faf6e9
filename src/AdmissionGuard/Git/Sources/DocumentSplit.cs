using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace AdmissionGuard.Git.Sources;

/// <summary>The documents of a YAML stream as texts, split at <c>---</c> lines, for what is done object by object.</summary>
internal static partial class DocumentSplit
{
    public static List<string> Split(string text) => [.. Separator().Split(text)];

    public static string Join(List<string> documents) => string.Join("---\n", documents);

    /// <summary>Whether the object is annotated <c>kustomize.toolkit.fluxcd.io/substitute: disabled</c>.</summary>
    public static bool SubstitutionDisabled(string document)
    {
        if (!document.Contains(Substitution.DisabledAnnotation, StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(document));
            return stream.Documents.FirstOrDefault()?.RootNode is YamlMappingNode root
                && root.Children.TryGetValue("metadata", out var metadata) && metadata is YamlMappingNode meta
                && meta.Children.TryGetValue("annotations", out var annotations) && annotations is YamlMappingNode map
                && map.Children.TryGetValue(Substitution.DisabledAnnotation, out var value) && value is YamlScalarNode { Value: "disabled" };
        }
        catch (YamlDotNet.Core.YamlException)
        {
            // Not readable as YAML: the manifest reader says where, once it reads the substituted text.
            return false;
        }
    }

    /// <summary>A line that is only <c>---</c> (a comment may follow): the start of the next document.</summary>
    [GeneratedRegex(@"(?m)^---[ \t]*(?:#.*)?\r?\n")]
    private static partial Regex Separator();
}
