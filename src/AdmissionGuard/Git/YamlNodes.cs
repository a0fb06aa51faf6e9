using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace AdmissionGuard.Git;

/// <summary>
/// A YAML stream as the parser's events, indexed so that any node can be read in place: where each node
/// ends, which anchored node each alias stands for, where each document's root is. Reading a manifest
/// this way parses its text once and builds no node tree.
/// </summary>
/// <remarks>
/// Parsing checks what a node tree would have refused anywhere in the stream, not only in the documents
/// that are read: syntax errors, aliases without an anchor, repeated mapping keys, and nesting deeper
/// than <see cref="YamlToJson.MaxDepth"/> (checked before anything recursive walks the nodes).
/// </remarks>
internal sealed class YamlNodes
{
    private readonly List<ParsingEvent> _events;
    private readonly int[] _ends;
    private readonly Dictionary<int, int> _aliases;

    private YamlNodes(List<ParsingEvent> events, int[] ends, Dictionary<int, int> aliases, List<int> documents)
    {
        _events = events;
        _ends = ends;
        _aliases = aliases;
        Documents = documents;
    }

    /// <summary>The root node of each document, in order.</summary>
    public IReadOnlyList<int> Documents { get; }

    public ParsingEvent this[int node] => _events[node];

    /// <param name="text">The whole file.</param>
    /// <param name="documentStarts">Receives the line each document starts on, as parsing reaches it: after an
    /// error, its count says which document the error is in.</param>
    public static YamlNodes Parse(string text, List<long> documentStarts)
    {
        var events = new List<ParsingEvent>();
        var documents = new List<int>();
        var aliases = new Dictionary<int, int>();
        var anchors = new Dictionary<string, int>(StringComparer.Ordinal);
        var open = new Stack<OpenCollection>();
        var ends = new List<int>();
        var parser = new Parser(new StringReader(text));
        while (parser.MoveNext())
        {
            var current = parser.Current!;
            var index = events.Count;
            events.Add(current);
            ends.Add(index + 1);
            switch (current)
            {
                case DocumentStart start:
                    documentStarts.Add(start.Start.Line);
                    documents.Add(index + 1);
                    anchors.Clear();
                    break;
                case AnchorAlias alias:
                    AddChild(open, alias);
                    aliases[index] = anchors.TryGetValue(alias.Value.Value, out var anchored)
                        ? anchored
                        : throw new YamlException(alias.Start, alias.End, $"alias *{alias.Value.Value} has no anchor before it");
                    break;
                case NodeEvent node:
                    AddChild(open, node);
                    if (!node.Anchor.IsEmpty)
                    {
                        anchors[node.Anchor.Value] = index;
                    }

                    if (node is MappingStart or SequenceStart)
                    {
                        if (open.Count >= YamlToJson.MaxDepth)
                        {
                            throw new YamlException(node.Start, node.End, $"document nests deeper than {YamlToJson.MaxDepth} levels");
                        }

                        open.Push(new OpenCollection(index, node is MappingStart));
                    }

                    break;
                case MappingEnd or SequenceEnd:
                    ends[open.Pop().Start] = index + 1;
                    break;
            }
        }

        return new YamlNodes(events, [.. ends], aliases, documents);
    }

    private static void AddChild(Stack<OpenCollection> open, ParsingEvent child)
    {
        if (open.TryPeek(out var parent))
        {
            parent.AddChild(child);
        }
    }

    /// <summary>The node an alias stands for; any other node itself.</summary>
    public int Resolve(int node) => _aliases.TryGetValue(node, out var anchored) ? anchored : node;

    /// <summary>Where the node that starts at <paramref name="node"/> ends (the index after its last event).</summary>
    public int End(int node) => _ends[node];

    /// <summary>The key and value nodes of a mapping, in order (aliases not resolved).</summary>
    public IEnumerable<(int Key, int Value)> Pairs(int mapping)
    {
        for (var key = mapping + 1; _events[key] is not MappingEnd;)
        {
            var value = End(key);
            yield return (key, value);
            key = End(value);
        }
    }

    /// <summary>The item nodes of a sequence, in order (aliases not resolved).</summary>
    public IEnumerable<int> Items(int sequence)
    {
        for (var item = sequence + 1; _events[item] is not SequenceEnd; item = End(item))
        {
            yield return item;
        }
    }

    /// <summary>The value of a plain-text key of a mapping, when it is a scalar: <c>kind</c>, <c>apiVersion</c>.</summary>
    public string? ScalarValue(int mapping, string key)
    {
        foreach (var (keyNode, valueNode) in Pairs(mapping))
        {
            if (this[Resolve(keyNode)] is Scalar { Value: var name } && name == key)
            {
                return this[Resolve(valueNode)] is Scalar value ? value.Value : null;
            }
        }

        return null;
    }

    /// <summary>A mapping or sequence being parsed: for a mapping, the scalar keys seen so far, to refuse a repeated one.</summary>
    private sealed class OpenCollection(int start, bool isMapping)
    {
        private int _children;
        private HashSet<string>? _keys;

        public int Start { get; } = start;

        public void AddChild(ParsingEvent child)
        {
            if (isMapping && _children % 2 == 0 && child is Scalar { Value: var key } && !(_keys ??= new(StringComparer.Ordinal)).Add(key))
            {
                throw new YamlException(child.Start, child.End, $"duplicate key \"{key}\"");
            }

            _children++;
        }
    }
}
