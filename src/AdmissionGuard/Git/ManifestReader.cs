using System.Text.Json;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Policy;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace AdmissionGuard.Git;

/// <summary>A NetworkPolicy declared in a manifest file, with its place in the file.</summary>
internal sealed record DeclaredPolicy(CanonicalPolicy Policy, string Path, int DocumentIndex, string Location, byte[]? ServedSpec);

/// <summary>A manifest that cannot be read, located by file and document (index from 0), in one line (<see cref="OneLine"/>).</summary>
internal sealed class ManifestException(string path, int? documentIndex, string problem)
    : Exception(documentIndex is { } index ? $"{OneLine.Escape(path)}: document {index}: {OneLine.Escape(problem)}" : $"{OneLine.Escape(path)}: {OneLine.Escape(problem)}")
{
    public string Path { get; } = path;

    public int? DocumentIndex { get; } = documentIndex;

    public string Problem { get; } = OneLine.Escape(problem);
}

/// <summary>
/// Reads the NetworkPolicies of one manifest file: multi-document YAML, <c>kind: List</c>, or JSON.
/// Other kinds, empty and comment-only documents are skipped; anything that does not parse is an
/// error naming the file and document.
/// </summary>
internal static class ManifestReader
{
    public const int MaxFileBytes = 8 * 1024 * 1024;

    public static IReadOnlyList<DeclaredPolicy> Read(string path, string text, string defaultNamespace)
    {
        if (text.Length > MaxFileBytes)
        {
            throw new ManifestException(path, null, $"file is larger than {MaxFileBytes / 1024 / 1024} MiB");
        }

        // Parsed once into indexed events; the nesting is checked there, before anything recursive runs,
        // so a deeply nested document is a located error rather than a stack overflow.
        var documentStarts = new List<long>();
        YamlNodes nodes;
        try
        {
            nodes = YamlNodes.Parse(text, documentStarts);
        }
        catch (Exception e) when (IsYamlFailure(e))
        {
            throw new ManifestException(path, Math.Max(0, documentStarts.Count - 1), Describe(e));
        }

        var result = new List<DeclaredPolicy>();
        for (var index = 0; index < nodes.Documents.Count; index++)
        {
            var root = nodes.Resolve(nodes.Documents[index]);
            if (nodes[root] is MappingStart)
            {
                try
                {
                    ReadDocument(nodes, root, path, index, defaultNamespace, result);
                }
                catch (Exception e) when (IsYamlFailure(e) || e is PolicyFormatException or JsonException)
                {
                    throw new ManifestException(path, index, Describe(e));
                }
            }
        }

        return result;
    }

    private static void ReadDocument(YamlNodes nodes, int root, string path, int index, string defaultNamespace, List<DeclaredPolicy> result)
    {
        var kind = nodes.ScalarValue(root, "kind");
        if (kind is "List" or "NetworkPolicyList")
        {
            var items = nodes.Value(root, "items");
            if (items >= 0 && nodes[items] is SequenceStart)
            {
                var item = 0;
                foreach (var node in nodes.Items(items).Select(nodes.Resolve))
                {
                    if (nodes[node] is MappingStart && nodes.ScalarValue(node, "kind") == PolicyReader.Kind)
                    {
                        try
                        {
                            result.Add(ReadPolicy(nodes, node, path, index, $"{path}: document {index} item {item}", defaultNamespace));
                        }
                        catch (PolicyFormatException e)
                        {
                            throw new PolicyFormatException($"items[{item}].{e.Path}", e.Problem);
                        }
                    }

                    item++;
                }
            }
        }
        else if (kind == PolicyReader.Kind)
        {
            result.Add(ReadPolicy(nodes, root, path, index, $"{path}: document {index}", defaultNamespace));
        }
    }

    private static DeclaredPolicy ReadPolicy(YamlNodes nodes, int node, string path, int index, string location, string defaultNamespace)
    {
        var apiVersion = nodes.ScalarValue(node, "apiVersion");
        if (apiVersion != PolicyReader.ApiVersion)
        {
            throw new PolicyFormatException("apiVersion", $"NetworkPolicy must be {PolicyReader.ApiVersion}, not \"{apiVersion}\"");
        }

        using var json = YamlToJson.Convert(nodes, node);
        var policy = PolicyReader.Read(json.RootElement, defaultNamespace: defaultNamespace);
        if (policy.Name.Length == 0)
        {
            throw new PolicyFormatException("metadata.name", "required");
        }

        return new DeclaredPolicy(policy, path, index, location, ServedSpec.Render(json.RootElement, policy.Spec));
    }

    private static string Describe(Exception e) => e switch
    {
        PolicyFormatException p => p.Message,
        YamlException y when y.Start.Line > 0 => $"line {y.Start.Line}, column {y.Start.Column}: {Inner(y)}",
        _ => Inner(e),
    };

    private static string Inner(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e.Message.ReplaceLineEndings(" ");
    }

    private static bool IsYamlFailure(Exception e) =>
        e is YamlException or InvalidOperationException or ArgumentException or FormatException or OverflowException;
}
