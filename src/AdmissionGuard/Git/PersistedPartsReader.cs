using System.Collections.Immutable;
using System.Text.Json;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Git;

/// <summary>
/// Builds the parts <see cref="PersistedPartsWriter"/> wrote, each once, exactly as they were: they were canonical when
/// written, and the file's checksum says they are unchanged since.
/// </summary>
/// <remarks>
/// Lines of one table may be read at once on several threads (each fills its own range); a table is read only after every
/// table it refers to (<see cref="Begin"/>).
/// </remarks>
internal sealed class PersistedPartsReader
{
    /// <summary>The tables, in the order they are written and read.</summary>
    public static readonly string[] Sections = ["strings", "selectors", "peers", "ports", "rules", "specs", "labelSets"];

    private static readonly ImmutableSortedDictionary<string, string> NoEntries = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    private readonly string[] _strings;
    private readonly LabelSelector[] _selectors;
    private readonly Peer[] _peers;
    private readonly PolicyPort[] _ports;
    private readonly PolicyRule[] _rules;
    private readonly PolicySpec[] _specs;
    private readonly ImmutableSortedDictionary<string, string>[] _labelSets;
    private readonly Func<int, string> _string;
    private readonly Func<int, Peer> _peer;
    private readonly Func<int, PolicyPort> _port;
    private readonly Func<int, PolicyRule> _rule;
    private int _section;

    /// <param name="counts">How many items each table holds, in <see cref="Sections"/> order.</param>
    /// <param name="lines">How many lines the tables take.</param>
    /// <param name="fileBytes">The file's size: no table is made larger than the file could fill, whatever its header says.</param>
    public PersistedPartsReader(int[] counts, int lines, long fileBytes)
    {
        if (counts.Length != Sections.Length || counts.Any(count => count < 0))
        {
            throw new JsonException($"the header counts {counts.Length} part tables, not {Sections.Length}");
        }

        // Every part takes at least two bytes of its line ("1," or "[]").
        if (counts.Sum(count => (long)count) * 2 > fileBytes || lines != counts.Sum(count => (count + PersistedPartsWriter.ItemsPerLine - 1) / PersistedPartsWriter.ItemsPerLine))
        {
            throw new JsonException($"the header counts {counts.Sum(count => (long)count)} parts in {lines} lines, which a file of {fileBytes} bytes cannot hold");
        }

        (_strings, _selectors, _peers, _ports) = (new string[counts[0]], new LabelSelector[counts[1]], new Peer[counts[2]], new PolicyPort[counts[3]]);
        (_rules, _specs, _labelSets) = (new PolicyRule[counts[4]], new PolicySpec[counts[5]], new ImmutableSortedDictionary<string, string>[counts[6]]);
        (_string, _peer, _port, _rule) = (String, Peer, Port, Rule);
    }

    /// <summary>The table a part line belongs to (its index in <see cref="Sections"/>); -1 for any other line.</summary>
    public static int SectionOf(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray || !reader.Read() || reader.TokenType != JsonTokenType.String)
        {
            return -1;
        }

        for (var i = 0; i < Sections.Length; i++)
        {
            if (reader.ValueTextEquals(Sections[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Called before the lines of a table are read: the tables come in <see cref="Sections"/> order.</summary>
    public void Begin(int section)
    {
        if (section < _section)
        {
            throw new JsonException($"the {Sections[section]} table comes after the {Sections[_section]} table");
        }

        _section = section;
    }

    /// <summary>One line of the table <see cref="Begin"/> named.</summary>
    public void Read(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        Expect(ref reader, JsonTokenType.StartArray);
        Expect(ref reader, JsonTokenType.String);
        var section = Array.IndexOf(Sections, reader.GetString());
        if (section != _section)
        {
            throw new JsonException($"a {Sections[Math.Max(section, 0)]} line among the {Sections[_section]} table's");
        }

        var index = Int(ref reader);
        Expect(ref reader, JsonTokenType.StartArray);
        while (NextItem(ref reader))
        {
            switch (section)
            {
                case 0:
                    Set(_strings, index, reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw Unexpected(ref reader));
                    break;
                case 1:
                    Set(_selectors, index, ReadSelector(ref reader));
                    break;
                case 2:
                    Set(_peers, index, ReadPeer(ref reader));
                    break;
                case 3:
                    Set(_ports, index, ReadPort(ref reader));
                    break;
                case 4:
                    Set(_rules, index, ReadRule(ref reader));
                    break;
                case 5:
                    Set(_specs, index, ReadSpec(ref reader));
                    break;
                default:
                    Set(_labelSets, index, ReadLabelSet(ref reader));
                    break;
            }

            index++;
        }

        Expect(ref reader, JsonTokenType.EndArray);
    }

    public string String(int index) => Get(_strings, index, "strings");

    public PolicySpec Spec(int index) => Get(_specs, index, "specs");

    /// <param name="index">-1 for no labels.</param>
    public ImmutableSortedDictionary<string, string> LabelSet(int index) => index == -1 ? NoEntries : Get(_labelSets, index, "labelSets");

    private LabelSelector? Selector(int index) => index == -1 ? null : Get(_selectors, index, "selectors");

    private LabelSelector ReadSelector(ref Utf8JsonReader reader)
    {
        Current(ref reader, JsonTokenType.StartArray);
        Expect(ref reader, JsonTokenType.StartArray);
        var labels = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        while (NextItem(ref reader))
        {
            var key = String(Current(ref reader));
            labels.Add(KeyValuePair.Create(key, String(Int(ref reader))));
        }

        Expect(ref reader, JsonTokenType.StartArray);
        var expressions = ImmutableArray.CreateBuilder<SelectorRequirement>();
        while (NextItem(ref reader))
        {
            Current(ref reader, JsonTokenType.StartArray);
            var (key, op) = (String(Int(ref reader)), String(Int(ref reader)));
            expressions.Add(new SelectorRequirement(key, op, Indexes(ref reader, _string)));
            Expect(ref reader, JsonTokenType.EndArray);
        }

        Expect(ref reader, JsonTokenType.EndArray);
        return labels.Count == 0 && expressions.Count == 0 ? LabelSelector.Everything : new LabelSelector(labels.DrainToImmutable(), expressions.DrainToImmutable());
    }

    private Peer ReadPeer(ref Utf8JsonReader reader)
    {
        Current(ref reader, JsonTokenType.StartArray);
        var (pods, namespaces, cidr) = (Selector(Int(ref reader)), Selector(Int(ref reader)), Int(ref reader));
        var except = Indexes(ref reader, _string);
        Expect(ref reader, JsonTokenType.EndArray);
        return new Peer(pods, namespaces, cidr == -1 ? null : new IpBlock(String(cidr), except));
    }

    private PolicyPort ReadPort(ref Utf8JsonReader reader)
    {
        Current(ref reader, JsonTokenType.StartArray);
        var (protocol, number, endPort, name) = (String(Int(ref reader)), Int(ref reader), Int(ref reader), Int(ref reader));
        Expect(ref reader, JsonTokenType.EndArray);
        return new PolicyPort(protocol, number == -1 ? null : number, endPort == -1 ? null : endPort, name == -1 ? null : String(name));
    }

    private PolicyRule ReadRule(ref Utf8JsonReader reader)
    {
        Current(ref reader, JsonTokenType.StartArray);
        var rule = new PolicyRule(Indexes(ref reader, _peer), Indexes(ref reader, _port));
        Expect(ref reader, JsonTokenType.EndArray);
        return rule;
    }

    private PolicySpec ReadSpec(ref Utf8JsonReader reader)
    {
        Current(ref reader, JsonTokenType.StartArray);
        var podSelector = Selector(Int(ref reader)) ?? throw new JsonException("a spec without a pod selector");
        var spec = new PolicySpec(podSelector, Indexes(ref reader, _string), Indexes(ref reader, _rule), Indexes(ref reader, _rule));
        Expect(ref reader, JsonTokenType.EndArray);
        return spec;
    }

    private Peer Peer(int index) => Get(_peers, index, "peers");

    private PolicyPort Port(int index) => Get(_ports, index, "ports");

    private PolicyRule Rule(int index) => Get(_rules, index, "rules");

    private ImmutableSortedDictionary<string, string> ReadLabelSet(ref Utf8JsonReader reader)
    {
        Current(ref reader, JsonTokenType.StartArray);
        var labels = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        while (NextItem(ref reader))
        {
            var key = String(Current(ref reader));
            labels[key] = String(Int(ref reader));
        }

        return labels.ToImmutable();
    }

    private static ImmutableArray<T> Indexes<T>(ref Utf8JsonReader reader, Func<int, T> part)
    {
        Expect(ref reader, JsonTokenType.StartArray);
        var items = ImmutableArray.CreateBuilder<T>();
        while (NextItem(ref reader))
        {
            items.Add(part(Current(ref reader)));
        }

        return items.DrainToImmutable();
    }

    private static T Get<T>(T[] table, int index, string section)
        where T : class =>
        (uint)index < (uint)table.Length && table[index] is { } part ? part : throw new JsonException($"no part {index} in the {section} table");

    private static void Set<T>(T[] table, int index, T part)
    {
        if ((uint)index >= (uint)table.Length)
        {
            throw new JsonException($"part {index} is past the {table.Length} the header counts");
        }

        table[index] = part;
    }

    /// <returns>Whether an item starts at the next token (false at the end of the array).</returns>
    private static bool NextItem(ref Utf8JsonReader reader) =>
        reader.Read() ? reader.TokenType != JsonTokenType.EndArray : throw new JsonException("a part line is cut short");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (!reader.Read())
        {
            throw new JsonException("a part line is cut short");
        }

        Current(ref reader, type);
    }

    private static void Current(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (reader.TokenType != type)
        {
            throw Unexpected(ref reader);
        }
    }

    private static int Current(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) ? value : throw Unexpected(ref reader);

    private static int Int(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.Number);
        return Current(ref reader);
    }

    private static JsonException Unexpected(ref Utf8JsonReader reader) =>
        new($"unexpected {reader.TokenType} at byte {reader.TokenStartIndex} of a part line");
}
