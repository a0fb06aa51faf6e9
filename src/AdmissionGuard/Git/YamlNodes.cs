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
    /// <summary>Pairs, merge sources and merged pairs all merges of one file may visit: far above any real manifest.</summary>
    public const int MaxMergeSteps = 1_000_000;

    private readonly List<ParsingEvent> _events;
    private readonly int[] _ends;
    private readonly Dictionary<int, int> _aliases;
    private readonly HashSet<int> _mappingsWithMergeKeys;
    private readonly Dictionary<int, List<(int Key, int Value)>> _merged = [];
    private readonly HashSet<int> _merging = [];
    private int _mergeSteps = MaxMergeSteps;

    private YamlNodes(List<ParsingEvent> events, int[] ends, Dictionary<int, int> aliases, HashSet<int> mappingsWithMergeKeys, List<int> documents)
    {
        _events = events;
        _ends = ends;
        _aliases = aliases;
        _mappingsWithMergeKeys = mappingsWithMergeKeys;
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
        var mappingsWithMergeKeys = new HashSet<int>();
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
                    var closed = open.Pop();

                    // YamlDotNet can end a mapping after a key with no value (a lone ':' line); pairs must stay pairs.
                    if (closed.HasKeyWithoutValue)
                    {
                        throw new YamlException(current.Start, current.End, "a mapping key has no value");
                    }

                    ends[closed.Start] = index + 1;
                    if (closed.HasMergeKey)
                    {
                        mappingsWithMergeKeys.Add(closed.Start);
                    }

                    break;
            }
        }

        return new YamlNodes(events, [.. ends], aliases, mappingsWithMergeKeys, documents);
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

    /// <summary>
    /// The key and value nodes of a mapping as kubectl's YAML reader (go-yaml v2) sees them: a <c>&lt;&lt;</c>
    /// key merges the pairs of the mapping it names, or of each mapping in a sequence with the earlier ones
    /// winning, and a key set again later, by a merge or explicitly, takes the later value.
    /// </summary>
    public IEnumerable<(int Key, int Value)> EffectivePairs(int mapping) =>
        _mappingsWithMergeKeys.Contains(mapping) ? Merged(mapping) : Pairs(mapping);

    /// <summary>The value node (alias resolved) of a plain-text key of a mapping, merges included; -1 when absent.</summary>
    public int Value(int mapping, string key)
    {
        var found = -1;
        foreach (var (keyNode, valueNode) in EffectivePairs(mapping))
        {
            if (this[Resolve(keyNode)] is Scalar { Value: var name } && name == key)
            {
                found = Resolve(valueNode);
            }
        }

        return found;
    }

    /// <summary>The value of a plain-text key of a mapping, when it is a scalar: <c>kind</c>, <c>apiVersion</c>.</summary>
    public string? ScalarValue(int mapping, string key) =>
        Value(mapping, key) is >= 0 and var value && this[value] is Scalar scalar ? scalar.Value : null;

    /// <summary>A <c>&lt;&lt;</c> key as go-yaml v2 knows one: plain and untagged, or tagged <c>!!merge</c>.</summary>
    private static bool IsMergeKey(ParsingEvent key) =>
        key is Scalar { Value: "<<" } scalar
        && (scalar.Tag.IsEmpty ? scalar.Style == ScalarStyle.Plain : scalar.Tag.Value == "tag:yaml.org,2002:merge");

    /// <summary>A mapping's pairs with its merges applied; made once per mapping, within the file's <see cref="MaxMergeSteps"/>.</summary>
    private List<(int Key, int Value)> Merged(int mapping)
    {
        if (_merged.TryGetValue(mapping, out var done))
        {
            return done;
        }

        if (!_merging.Add(mapping))
        {
            throw new YamlException(this[mapping].Start, this[mapping].End, "<< merges a mapping into itself");
        }

        var pairs = new List<(int Key, int Value)>();
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (key, value) in Pairs(mapping))
        {
            Step(key);
            if (!IsMergeKey(this[key]))
            {
                Set(pairs, positions, key, value);
                continue;
            }

            // v2 merges a mapping, an alias of one, or a sequence written in place; earlier items of the sequence win.
            var sources = this[value] is SequenceStart ? Items(value).Reverse().ToList() : [value];
            foreach (var item in sources)
            {
                Step(item);
                var merged = Resolve(item);
                if (this[merged] is not MappingStart)
                {
                    throw new YamlException(this[key].Start, this[key].End, "<< must merge a mapping, or a sequence of mappings");
                }

                foreach (var (mergedKey, mergedValue) in EffectivePairs(merged))
                {
                    Step(mergedKey);
                    Set(pairs, positions, mergedKey, mergedValue);
                }
            }
        }

        _merging.Remove(mapping);
        _merged[mapping] = pairs;
        return pairs;
    }

    private void Set(List<(int Key, int Value)> pairs, Dictionary<string, int> positions, int key, int value)
    {
        if (this[Resolve(key)] is not Scalar { Value: var name })
        {
            throw new YamlException(this[key].Start, this[key].End, "mapping keys must be plain strings");
        }

        if (positions.TryGetValue(name, out var at))
        {
            pairs[at] = (key, value);
        }
        else
        {
            positions[name] = pairs.Count;
            pairs.Add((key, value));
        }
    }

    private void Step(int node)
    {
        if (--_mergeSteps < 0)
        {
            throw new YamlException(this[node].Start, this[node].End, $"merge keys (<<) take more than {MaxMergeSteps} steps in this file");
        }
    }

    /// <summary>A mapping or sequence being parsed: for a mapping, the scalar keys seen so far, to refuse a repeated one.</summary>
    private sealed class OpenCollection(int start, bool isMapping)
    {
        private int _children;
        private HashSet<string>? _keys;

        public int Start { get; } = start;

        public bool HasKeyWithoutValue => isMapping && _children % 2 == 1;

        public bool HasMergeKey { get; private set; }

        public void AddChild(ParsingEvent child)
        {
            // A second << merges too, as go-yaml v2 reads it.
            if (isMapping && _children % 2 == 0 && child is Scalar { Value: var key } && !IsMergeKey(child) && !(_keys ??= new(StringComparer.Ordinal)).Add(key))
            {
                throw new YamlException(child.Start, child.End, $"duplicate key \"{key}\"");
            }

            HasMergeKey |= isMapping && _children % 2 == 0 && IsMergeKey(child);

            _children++;
        }
    }
}
