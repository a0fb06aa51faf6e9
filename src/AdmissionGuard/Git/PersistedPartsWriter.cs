using System.Collections.Immutable;
using System.Text.Json;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Git;

/// <summary>
/// The distinct canonical parts of a persisted baseline's policies (specs, rules, peers, ports, selectors, label sets and
/// their strings),
/// each written once in tables that the policies refer to by index. A restart builds each part once from its table
/// (<see cref="PersistedPartsReader"/>) instead of reading every policy's spec again: a rule that 5,000 namespaces repeat
/// is read once, and nothing is checked, sorted or shared again.
/// </summary>
/// <remarks>
/// Each table is written in lines of up to <see cref="ItemsPerLine"/> items, <c>["section", first index, [items]]</c>, in
/// the order <see cref="PersistedPartsReader.Sections"/> gives: a part refers only to parts of earlier tables. Absent
/// values are -1.
/// </remarks>
internal sealed class PersistedPartsWriter
{
    /// <summary>Enough items for lines to be read in parallel, few enough that a line is read in a fraction of a millisecond.</summary>
    public const int ItemsPerLine = 1024;

    private readonly Table<string> _strings = new(StringComparer.Ordinal);
    private readonly Table<LabelSelector> _selectors = new(EqualityComparer<LabelSelector>.Default);
    private readonly Table<Peer> _peers = new(EqualityComparer<Peer>.Default);
    private readonly Table<PolicyPort> _ports = new(EqualityComparer<PolicyPort>.Default);
    private readonly Table<PolicyRule> _rules = new(EqualityComparer<PolicyRule>.Default);
    private readonly Table<PolicySpec> _specs = new(EqualityComparer<PolicySpec>.Default);
    private readonly Table<ImmutableSortedDictionary<string, string>> _labelSets = new(LabelSetComparer.Instance);

    private readonly Func<string, int> _stringIndex;
    private readonly Func<Peer, int> _peerIndex;
    private readonly Func<PolicyPort, int> _portIndex;
    private readonly Func<PolicyRule, int> _ruleIndex;

    public PersistedPartsWriter() => (_stringIndex, _peerIndex, _portIndex, _ruleIndex) = (String, Peer, Port, Rule);

    /// <summary>How many items each table holds, in <see cref="PersistedPartsReader.Sections"/> order.</summary>
    public int[] Counts => [_strings.Count, _selectors.Count, _peers.Count, _ports.Count, _rules.Count, _specs.Count, _labelSets.Count];

    /// <summary>How many lines <see cref="WriteTo"/> writes.</summary>
    public int Lines => Counts.Sum(count => (count + ItemsPerLine - 1) / ItemsPerLine);

    /// <summary>The policy's parts, added to the tables where new.</summary>
    public void Add(CanonicalPolicy policy)
    {
        String(policy.Namespace);
        Spec(policy.Spec);
        LabelSet(policy.Labels);
        LabelSet(policy.Annotations);
    }

    public int String(string value) => _strings.IndexOf(value, this, static (_, _) => { });

    public int Spec(PolicySpec spec) => _specs.IndexOf(spec, this, static (parts, spec) =>
    {
        parts.Selector(spec.PodSelector);
        foreach (var type in spec.PolicyTypes)
        {
            parts.String(type);
        }

        foreach (var rule in spec.Ingress.AsSpan())
        {
            parts.Rule(rule);
        }

        foreach (var rule in spec.Egress.AsSpan())
        {
            parts.Rule(rule);
        }
    });

    /// <returns>-1 for no labels.</returns>
    public int LabelSet(ImmutableSortedDictionary<string, string> labels) => labels.IsEmpty ? -1 : _labelSets.IndexOf(labels, this, static (parts, labels) =>
    {
        foreach (var (key, value) in labels)
        {
            (_, _) = (parts.String(key), parts.String(value));
        }
    });

    /// <summary>Writes every table, one line at a time; afterwards the tables take no new part (a policy not added before refers only to parts written).</summary>
    public void WriteTo(Action<ReadOnlySpan<byte>> writeLine)
    {
        foreach (var table in (ITable[])[_strings, _selectors, _peers, _ports, _rules, _specs, _labelSets])
        {
            table.Close();
        }

        var line = new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
        using var writer = new Utf8JsonWriter(line);
        void Write<T>(string section, Table<T> table, Action<Utf8JsonWriter, T> writeItem)
            where T : notnull
        {
            for (var first = 0; first < table.Count; first += ItemsPerLine)
            {
                writer.WriteStartArray();
                writer.WriteStringValue(section);
                writer.WriteNumberValue(first);
                writer.WriteStartArray();
                for (var i = first; i < Math.Min(first + ItemsPerLine, table.Count); i++)
                {
                    writeItem(writer, table[i]);
                }

                writer.WriteEndArray();
                writer.WriteEndArray();
                writer.Flush();
                writeLine(line.WrittenSpan);
                line.ResetWrittenCount();
                writer.Reset(line);
            }
        }

        Write(PersistedPartsReader.Sections[0], _strings, static (writer, value) => writer.WriteStringValue(value));
        Write(PersistedPartsReader.Sections[1], _selectors, WriteSelector);
        Write(PersistedPartsReader.Sections[2], _peers, WritePeer);
        Write(PersistedPartsReader.Sections[3], _ports, WritePort);
        Write(PersistedPartsReader.Sections[4], _rules, WriteRule);
        Write(PersistedPartsReader.Sections[5], _specs, WriteSpec);
        Write(PersistedPartsReader.Sections[6], _labelSets, WriteLabelSet);
    }

    private int Selector(LabelSelector? selector) => selector is null ? -1 : _selectors.IndexOf(selector, this, static (parts, selector) =>
    {
        foreach (var (key, value) in selector.MatchLabels)
        {
            (_, _) = (parts.String(key), parts.String(value));
        }

        foreach (var requirement in selector.MatchExpressions)
        {
            (_, _) = (parts.String(requirement.Key), parts.String(requirement.Operator));
            foreach (var value in requirement.Values)
            {
                parts.String(value);
            }
        }
    });

    private int Peer(Peer peer) => _peers.IndexOf(peer, this, static (parts, peer) =>
    {
        (_, _) = (parts.Selector(peer.PodSelector), parts.Selector(peer.NamespaceSelector));
        if (peer.IpBlock is { } block)
        {
            parts.String(block.Cidr);
            foreach (var except in block.Except)
            {
                parts.String(except);
            }
        }
    });

    private int Port(PolicyPort port) => _ports.IndexOf(port, this, static (parts, port) =>
    {
        parts.String(port.Protocol);
        if (port.Name is { } name)
        {
            parts.String(name);
        }
    });

    private int Rule(PolicyRule rule) => _rules.IndexOf(rule, this, static (parts, rule) =>
    {
        foreach (var peer in rule.Peers)
        {
            parts.Peer(peer);
        }

        foreach (var port in rule.Ports)
        {
            parts.Port(port);
        }
    });

    private void WriteSelector(Utf8JsonWriter writer, LabelSelector selector)
    {
        writer.WriteStartArray();
        writer.WriteStartArray();
        foreach (var (key, value) in selector.MatchLabels)
        {
            writer.WriteNumberValue(String(key));
            writer.WriteNumberValue(String(value));
        }

        writer.WriteEndArray();
        writer.WriteStartArray();
        foreach (var requirement in selector.MatchExpressions)
        {
            writer.WriteStartArray();
            writer.WriteNumberValue(String(requirement.Key));
            writer.WriteNumberValue(String(requirement.Operator));
            WriteIndexes(writer, requirement.Values, _stringIndex);
            writer.WriteEndArray();
        }

        writer.WriteEndArray();
        writer.WriteEndArray();
    }

    private void WritePeer(Utf8JsonWriter writer, Peer peer)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(Selector(peer.PodSelector));
        writer.WriteNumberValue(Selector(peer.NamespaceSelector));
        writer.WriteNumberValue(peer.IpBlock is { } block ? String(block.Cidr) : -1);
        WriteIndexes(writer, peer.IpBlock?.Except ?? [], _stringIndex);
        writer.WriteEndArray();
    }

    private void WritePort(Utf8JsonWriter writer, PolicyPort port)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(String(port.Protocol));
        writer.WriteNumberValue(port.Number ?? -1);
        writer.WriteNumberValue(port.EndPort ?? -1);
        writer.WriteNumberValue(port.Name is { } name ? String(name) : -1);
        writer.WriteEndArray();
    }

    private void WriteRule(Utf8JsonWriter writer, PolicyRule rule)
    {
        writer.WriteStartArray();
        WriteIndexes(writer, rule.Peers, _peerIndex);
        WriteIndexes(writer, rule.Ports, _portIndex);
        writer.WriteEndArray();
    }

    private void WriteSpec(Utf8JsonWriter writer, PolicySpec spec)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(Selector(spec.PodSelector));
        WriteIndexes(writer, spec.PolicyTypes, _stringIndex);
        WriteIndexes(writer, spec.Ingress, _ruleIndex);
        WriteIndexes(writer, spec.Egress, _ruleIndex);
        writer.WriteEndArray();
    }

    private void WriteLabelSet(Utf8JsonWriter writer, ImmutableSortedDictionary<string, string> labels)
    {
        writer.WriteStartArray();
        foreach (var (key, value) in labels)
        {
            writer.WriteNumberValue(String(key));
            writer.WriteNumberValue(String(value));
        }

        writer.WriteEndArray();
    }

    private static void WriteIndexes<T>(Utf8JsonWriter writer, ImmutableArray<T> items, Func<T, int> index)
    {
        writer.WriteStartArray();
        foreach (var item in items.AsSpan())
        {
            writer.WriteNumberValue(index(item));
        }

        writer.WriteEndArray();
    }

    /// <summary>Distinct items in the order first added; an item's own parts are added before it, so they come in earlier tables.</summary>
    private interface ITable
    {
        void Close();
    }

    private sealed class Table<T>(IEqualityComparer<T> comparer) : ITable
        where T : notnull
    {
        private readonly Dictionary<T, int> _indexes = new(comparer);
        private readonly List<T> _items = [];
        private bool _closed;

        public int Count => _items.Count;

        public T this[int index] => _items[index];

        /// <summary>The item's index, adding it after its own parts when new.</summary>
        /// <param name="addParts">Static, given the writer: a lambda that captured it would be made again for every part looked up.</param>
        public int IndexOf(T item, PersistedPartsWriter parts, Action<PersistedPartsWriter, T> addParts)
        {
            if (_indexes.TryGetValue(item, out var index))
            {
                return index;
            }

            if (_closed)
            {
                throw new InvalidOperationException($"a {typeof(T).Name} that was not added before the tables were written");
            }

            addParts(parts, item);
            _indexes.Add(item, _items.Count);
            _items.Add(item);
            return _items.Count - 1;
        }

        public void Close() => _closed = true;
    }
}
