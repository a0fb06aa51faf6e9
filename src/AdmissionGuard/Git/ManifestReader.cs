using System.Text.Json;
using AdmissionGuard.Core.Policy;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace AdmissionGuard.Git;

/// <summary>A NetworkPolicy declared in a manifest file, with its place in the file.</summary>
internal sealed record DeclaredPolicy(CanonicalPolicy Policy, string Path, int DocumentIndex, string Location, byte[]? ServedSpec);

/// <summary>A manifest that cannot be read, located by file and document (index from 0).</summary>
internal sealed class ManifestException(string path, int? documentIndex, string problem)
    : Exception(documentIndex is { } index ? $"{path}: document {index}: {problem}" : $"{path}: {problem}")
{
    public string Path { get; } = path;

    public int? DocumentIndex { get; } = documentIndex;

    public string Problem { get; } = problem;
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

        // The event parser is iterative; loading the node tree is recursive. Checking the nesting
        // first turns a stack overflow (which no catch survives) into a located error.
        var (documentStarts, events) = Scan(path, text);
        var stream = new YamlStream();
        try
        {
            // JSON is YAML, so one parser reads both. The node tree is built from the events the scan
            // already parsed: the text is parsed once.
            stream.Load(new ReplayParser(events));
        }
        catch (Exception e) when (IsYamlFailure(e))
        {
            var line = e is YamlException y ? y.Start.Line : long.MaxValue;
            throw new ManifestException(path, Math.Max(0, documentStarts.Count(start => start <= line) - 1), Describe(e));
        }

        var result = new List<DeclaredPolicy>();
        for (var index = 0; index < stream.Documents.Count; index++)
        {
            if (stream.Documents[index].RootNode is YamlMappingNode root)
            {
                try
                {
                    ReadDocument(root, path, index, defaultNamespace, result);
                }
                catch (Exception e) when (IsYamlFailure(e) || e is PolicyFormatException or JsonException)
                {
                    throw new ManifestException(path, index, Describe(e));
                }
            }
        }

        return result;
    }

    private static void ReadDocument(YamlMappingNode root, string path, int index, string defaultNamespace, List<DeclaredPolicy> result)
    {
        var kind = Scalar(root, "kind");
        if (kind is "List" or "NetworkPolicyList")
        {
            if (root.Children.TryGetValue("items", out var items) && items is YamlSequenceNode sequence)
            {
                var item = 0;
                foreach (var node in sequence.Children)
                {
                    if (node is YamlMappingNode mapping && Scalar(mapping, "kind") == PolicyReader.Kind)
                    {
                        try
                        {
                            result.Add(ReadPolicy(mapping, path, index, $"{path}: document {index} item {item}", defaultNamespace));
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
            result.Add(ReadPolicy(root, path, index, $"{path}: document {index}", defaultNamespace));
        }
    }

    private static DeclaredPolicy ReadPolicy(YamlMappingNode node, string path, int index, string location, string defaultNamespace)
    {
        var apiVersion = Scalar(node, "apiVersion");
        if (apiVersion != PolicyReader.ApiVersion)
        {
            throw new PolicyFormatException("apiVersion", $"NetworkPolicy must be {PolicyReader.ApiVersion}, not \"{apiVersion}\"");
        }

        using var json = YamlToJson.Convert(node);
        var policy = PolicyReader.Read(json.RootElement, defaultNamespace: defaultNamespace);
        if (policy.Name.Length == 0)
        {
            throw new PolicyFormatException("metadata.name", "required");
        }

        return new DeclaredPolicy(policy, path, index, location, ServedSpec.Render(json.RootElement, policy.Spec));
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) && value is YamlScalarNode scalar ? scalar.Value : null;

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

    /// <summary>Reads the YAML events once: syntax errors and excessive nesting, located; the line each document starts on; the events.</summary>
    private static (List<long> Starts, List<ParsingEvent> Events) Scan(string path, string text)
    {
        var starts = new List<long>();
        var events = new List<ParsingEvent>();
        var depth = 0;
        try
        {
            var parser = new Parser(new StringReader(text));
            while (parser.MoveNext())
            {
                events.Add(parser.Current!);
                switch (parser.Current)
                {
                    case DocumentStart start:
                        starts.Add(start.Start.Line);
                        break;
                    case SequenceStart or MappingStart when ++depth > YamlToJson.MaxDepth:
                        throw new ManifestException(path, starts.Count - 1, $"line {parser.Current.Start.Line}: document nests deeper than {YamlToJson.MaxDepth} levels");
                    case SequenceEnd or MappingEnd:
                        depth--;
                        break;
                }
            }
        }
        catch (Exception e) when (IsYamlFailure(e))
        {
            throw new ManifestException(path, Math.Max(0, starts.Count - 1), Describe(e));
        }

        return (starts, events);
    }

    /// <summary>Plays back parsed events to <see cref="YamlStream.Load(IParser)"/>.</summary>
    private sealed class ReplayParser(List<ParsingEvent> events) : IParser
    {
        private int _next;

        public ParsingEvent? Current { get; private set; }

        public bool MoveNext()
        {
            if (_next < events.Count)
            {
                Current = events[_next++];
                return true;
            }

            Current = null;
            return false;
        }
    }

    private static bool IsYamlFailure(Exception e) =>
        e is YamlException or InvalidOperationException or ArgumentException or FormatException or OverflowException;
}
