using System.Buffers;
using System.Text.Json;

namespace AdmissionGuard.Git;

/// <summary>
/// Converts YAML written the way Kubernetes manifests are written straight to JSON, without a parser's events: block
/// mappings and sequences with simple keys, one-line plain and quoted scalars, one-line flow collections of scalars,
/// comments, and <c>---</c> between documents. YamlDotNet's parse costs a cold start of 50,000 policies most of its time.
/// </summary>
/// <remarks>
/// Anything outside that subset (anchors, aliases, tags, block and multi-line scalars, escapes, tabs, CR, non-ASCII text,
/// repeated keys, nesting near the limit) makes it give up, and the caller reads the text with <see cref="YamlNodes"/>
/// and <see cref="YamlToJson"/>, which stay the reference: they give every error and its location. Where this succeeds,
/// each document's JSON is byte for byte theirs (the differential tests hold it to that).
/// </remarks>
internal static class BlockYamlToJson
{
    /// <summary>YamlDotNet refuses a simple key longer than 1,024 characters.</summary>
    private const int MaxKeyLength = 1000;

    /// <summary>A thread's JSON buffer is kept for its next text up to this size: a baseline converts thousands in a row.</summary>
    private const int MaxKeptBuffer = 64 * 1024;

    /// <summary>Below <see cref="YamlToJson.MaxDepth"/>, so the reference reader gives the error for anything as deep.</summary>
    private const int MaxDepth = YamlToJson.MaxDepth - 4;

    private static readonly SearchValues<char> PrintableAscii = SearchValues.Create(
        "\n !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    private static readonly SearchValues<char> Letters = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    private static readonly SearchValues<char> KeyCharacters = SearchValues.Create(
        "-./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz");

    /// <summary>Characters that may not start a plain scalar (YAML's indicators); '-' may when a non-space follows it.</summary>
    private static readonly SearchValues<char> Indicators = SearchValues.Create("-?:,[]{}#&*!|>'\"%@`");

    /// <summary>Characters that end, or are not allowed in, a plain scalar inside a flow collection.</summary>
    private static readonly SearchValues<char> FlowStops = SearchValues.Create(",[]{}:#");

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? JsonBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? JsonWriter;

    /// <summary>
    /// Each document of <paramref name="text"/> as JSON (null for an empty one), or null when the text is outside the subset.
    /// </summary>
    /// <param name="policiesOnly">
    /// Checks, without converting, a document whose <c>kind</c> is plainly not NetworkPolicy, List or NetworkPolicyList
    /// (null in its place): the Deployments and Services beside a policy are most of a repository's text. The text is
    /// still read or left exactly as without it.
    /// </param>
    /// <remarks>The caller disposes what it returns.</remarks>
    public static BlockDocuments? TryConvert(string text, bool policiesOnly = false)
    {
        if (text.AsSpan().IndexOfAnyExcept(PrintableAscii) >= 0 || Split(text) is not { } split)
        {
            return null;
        }

        var ranges = new (int Start, int Length)[split.Documents.Count];
        var converter = new Converter(text, split.Lines);
        var buffer = JsonBuffer ??= new ArrayBufferWriter<byte>(2048);
        var writer = JsonWriter ??= new Utf8JsonWriter(buffer);
        buffer.ResetWrittenCount();
        try
        {
            for (var index = 0; index < ranges.Length; index++)
            {
                var (from, to) = split.Documents[index];
                if (from == to)
                {
                    ranges[index] = (0, -1);
                }
                else if (policiesOnly && !MayDeclarePolicies(text, split.Lines, from, to))
                {
                    if (!converter.Document(null, from, to))
                    {
                        return null;
                    }

                    ranges[index] = (0, -1);
                }
                else
                {
                    // Each document is written after the one before; all are copied once into a pooled array below.
                    var start = buffer.WrittenCount;
                    writer.Reset(buffer);
                    if (!converter.Document(writer, from, to))
                    {
                        return null;
                    }

                    writer.Flush();
                    ranges[index] = (start, buffer.WrittenCount - start);
                }
            }

            var json = buffer.WrittenCount == 0 ? Array.Empty<byte>() : ArrayPool<byte>.Shared.Rent(buffer.WrittenCount);
            buffer.WrittenSpan.CopyTo(json);
            return new BlockDocuments(json, ranges);
        }
        finally
        {
            if (buffer.Capacity > MaxKeptBuffer)
            {
                (JsonBuffer, JsonWriter) = (null, null);
            }
        }
    }

    /// <summary>The text's content lines (neither blank nor comments), and each document's range of them.</summary>
    private static (List<Line> Lines, List<(int From, int To)> Documents)? Split(string text)
    {
        var lines = new List<Line>(64);
        var documents = new List<(int From, int To)>(1);
        var from = 0;
        var open = false;
        for (var start = 0; start < text.Length;)
        {
            var newline = text.IndexOf('\n', start);
            var end = newline < 0 ? text.Length : newline;
            var content = start;
            while (content < end && text[content] == ' ')
            {
                content++;
            }

            if (content < end && text[content] != '#')
            {
                if (content == start && (text[start] is '%' || text.AsSpan(start, end - start).StartsWith("...")))
                {
                    return null;
                }

                if (content == start && text.AsSpan(start, end - start).StartsWith("---"))
                {
                    if (!EndsLine(text, start + 3, end))
                    {
                        return null;
                    }

                    if (open)
                    {
                        documents.Add((from, lines.Count));
                    }

                    (from, open) = (lines.Count, true);
                }
                else
                {
                    lines.Add(new Line(content, content - start, end));
                    open = true;
                }
            }

            start = end + 1;
        }

        if (open)
        {
            documents.Add((from, lines.Count));
        }

        return (lines, documents);
    }

    /// <summary>Whether only spaces follow <paramref name="position"/> on its line, then nothing or a comment after a space.</summary>
    private static bool EndsLine(string text, int position, int end)
    {
        var at = position;
        while (at < end && text[at] == ' ')
        {
            at++;
        }

        return at == end || (text[at] == '#' && at > position);
    }

    /// <summary>
    /// False when the document's root has a <c>kind</c> whose value is a plain word other than the kinds that can declare a
    /// NetworkPolicy (<see cref="ManifestReader.MayDeclarePolicies"/>): as a string, a boolean or null, that word is none of
    /// them. Anything less plain is converted.
    /// </summary>
    private static bool MayDeclarePolicies(string text, List<Line> lines, int from, int to)
    {
        var rootIndent = lines[from].Indent;
        for (var index = from; index < to; index++)
        {
            var line = lines[index];
            if (line.Indent != rootIndent || !text.AsSpan(line.Start, line.End - line.Start).StartsWith("kind: ", StringComparison.Ordinal))
            {
                continue;
            }

            var value = text.AsSpan(line.Start + 6, line.End - line.Start - 6);
            var comment = value.IndexOf(" #", StringComparison.Ordinal);
            value = (comment < 0 ? value : value[..comment]).Trim(' ');
            return value.Length == 0 || value.IndexOfAnyExcept(Letters) >= 0 || ManifestReader.MayDeclarePolicies(value);
        }

        return true;
    }

    /// <summary>A line with content: where the content starts, its indentation, and where the line ends.</summary>
    private readonly record struct Line(int Start, int Indent, int End)
    {
        public int LineStart => Start - Indent;
    }

    /// <summary>Writes one document's nodes, line by line, giving up at the first thing outside the subset.</summary>
    private sealed class Converter(string text, List<Line> lines)
    {
        private readonly KeyStack _keys = new(text);
        private int _line;
        private int _end;
        private int _nodes;

        public bool Document(Utf8JsonWriter? writer, int from, int to)
        {
            // The root counts against the node budget too, as YamlToJson counts it.
            (_line, _end, _nodes) = (from, to, 1);
            var root = lines[from];
            return IsKey(root.Start, root.End) && Mapping(writer, root.Start, root.Indent, 1) && _line == _end;
        }

        /// <summary>A block mapping whose first key starts at <paramref name="start"/> on the current line, its keys at <paramref name="indent"/>.</summary>
        private bool Mapping(Utf8JsonWriter? writer, int start, int indent, int depth)
        {
            if (depth > MaxDepth)
            {
                return false;
            }

            writer?.WriteStartObject();
            var keys = _keys.Open();
            for (var position = start; ;)
            {
                var line = lines[_line];
                var keyEnd = KeyEnd(position, line.End);
                if (keyEnd < 0 || !_keys.Add(keys, position, keyEnd) || !Counted())
                {
                    return false;
                }

                writer?.WritePropertyName(text.AsSpan(position, keyEnd - position));
                var value = SkipSpaces(keyEnd + 1, line.End);
                if (value == line.End || text[value] == '#')
                {
                    _line++;
                    if (!BlockValue(writer, indent, depth))
                    {
                        return false;
                    }
                }
                else
                {
                    if (!Inline(writer, value, line.End, depth))
                    {
                        return false;
                    }

                    _line++;
                }

                if (_line == _end || lines[_line].Indent < indent)
                {
                    break;
                }

                if (lines[_line].Indent > indent)
                {
                    return false;
                }

                position = lines[_line].Start;
            }

            _keys.Close(keys);
            writer?.WriteEndObject();
            return true;
        }

        /// <summary>The value of a key with nothing after it on its line: a block below it, a sequence at its indent, or null.</summary>
        private bool BlockValue(Utf8JsonWriter? writer, int indent, int depth)
        {
            if (_line < _end && lines[_line] is var next && (next.Indent > indent || (next.Indent == indent && IsDash(next))))
            {
                return IsDash(next) ? Sequence(writer, next.Indent, depth + 1) : Mapping(writer, next.Start, next.Indent, depth + 1);
            }

            writer?.WriteNullValue();
            return true;
        }

        /// <summary>A block sequence whose dashes are at <paramref name="indent"/>, starting on the current line.</summary>
        private bool Sequence(Utf8JsonWriter? writer, int indent, int depth)
        {
            if (depth > MaxDepth)
            {
                return false;
            }

            writer?.WriteStartArray();
            while (true)
            {
                var line = lines[_line];
                var item = SkipSpaces(line.Start + 1, line.End);

                // An item on the lines below its dash, or a sequence in a sequence, is not in the subset.
                if (item == line.End || text[item] == '#' || (text[item] == '-' && (item + 1 == line.End || text[item + 1] == ' ')) || !Counted())
                {
                    return false;
                }

                if (IsKey(item, line.End))
                {
                    if (!Mapping(writer, item, item - line.LineStart, depth + 1))
                    {
                        return false;
                    }
                }
                else
                {
                    if (!Inline(writer, item, line.End, depth))
                    {
                        return false;
                    }

                    _line++;
                }

                if (_line == _end || lines[_line].Indent < indent || (lines[_line].Indent == indent && !IsDash(lines[_line])))
                {
                    break;
                }

                if (lines[_line].Indent > indent)
                {
                    return false;
                }
            }

            writer?.WriteEndArray();
            return true;
        }

        /// <summary>A value that starts at <paramref name="start"/> and ends on its line: a scalar or a flow collection of scalars.</summary>
        private bool Inline(Utf8JsonWriter? writer, int start, int end, int depth)
        {
            switch (text[start])
            {
                case '"' or '\'':
                    var close = Quoted(writer, start, end);
                    return close > 0 && EndsLine(text, close, end);
                case '[' or '{':
                    return depth < MaxDepth && Flow(writer, start, end);
                default:
                    if (!MayStartPlain(start, end))
                    {
                        return false;
                    }

                    var stop = end;
                    for (var at = start; at < end; at++)
                    {
                        if (text[at] == ':' && (at + 1 == end || text[at + 1] == ' '))
                        {
                            return false;
                        }

                        if (text[at] == '#' && text[at - 1] == ' ')
                        {
                            stop = at;
                            break;
                        }
                    }

                    if (writer is not null)
                    {
                        PlainScalar.Write(writer, text.AsSpan(start, stop - start).TrimEnd(' '));
                    }

                    return true;
            }
        }

        /// <summary>A one-line flow sequence or mapping of scalars: <c>[Ingress, Egress]</c>, <c>{}</c>.</summary>
        private bool Flow(Utf8JsonWriter? writer, int start, int end)
        {
            var mapping = text[start] == '{';
            var closing = mapping ? '}' : ']';
            var keys = _keys.Open();
            if (mapping)
            {
                writer?.WriteStartObject();
            }
            else
            {
                writer?.WriteStartArray();
            }

            var position = SkipSpaces(start + 1, end);
            if (position < end && text[position] == closing)
            {
                position++;
            }
            else
            {
                while (true)
                {
                    if (mapping)
                    {
                        var keyEnd = KeyEnd(position, end);
                        if (keyEnd < 0 || !_keys.Add(keys, position, keyEnd))
                        {
                            return false;
                        }

                        writer?.WritePropertyName(text.AsSpan(position, keyEnd - position));
                        position = SkipSpaces(keyEnd + 1, end);
                    }

                    position = position < end ? FlowScalar(writer, position, end) : -1;
                    if (position < 0 || !Counted())
                    {
                        return false;
                    }

                    position = SkipSpaces(position, end);
                    if (position < end && text[position] == closing)
                    {
                        position++;
                        break;
                    }

                    if (position == end || text[position] != ',')
                    {
                        return false;
                    }

                    position = SkipSpaces(position + 1, end);
                    if (position == end || text[position] == closing)
                    {
                        return false;
                    }
                }
            }

            _keys.Close(keys);
            if (mapping)
            {
                writer?.WriteEndObject();
            }
            else
            {
                writer?.WriteEndArray();
            }

            return EndsLine(text, position, end);
        }

        /// <summary>A scalar inside a flow collection; returns where it ends, or -1.</summary>
        private int FlowScalar(Utf8JsonWriter? writer, int start, int end)
        {
            if (text[start] is '"' or '\'')
            {
                return Quoted(writer, start, end);
            }

            if (!MayStartPlain(start, end))
            {
                return -1;
            }

            var stop = text.AsSpan(start, end - start).IndexOfAny(FlowStops);
            if (stop < 0 || text[start + stop] is not (',' or ']' or '}'))
            {
                return -1;
            }

            if (writer is not null)
            {
                PlainScalar.Write(writer, text.AsSpan(start, stop).TrimEnd(' '));
            }

            return start + stop;
        }

        /// <summary>A one-line quoted scalar without escapes; returns the position after its closing quote, or -1.</summary>
        private int Quoted(Utf8JsonWriter? writer, int start, int end)
        {
            var quote = text[start];
            var content = start + 1;
            if (quote == '"')
            {
                var close = text.AsSpan(content, end - content).IndexOfAny('"', '\\');
                if (close < 0 || text[content + close] == '\\')
                {
                    return -1;
                }

                writer?.WriteStringValue(text.AsSpan(content, close));
                return content + close + 1;
            }

            for (var at = content; at < end; at++)
            {
                if (text[at] != '\'')
                {
                    continue;
                }

                if (at + 1 < end && text[at + 1] == '\'')
                {
                    at++;
                    continue;
                }

                var value = text.AsSpan(content, at - content);
                if (writer is not null && value.Contains("''", StringComparison.Ordinal))
                {
                    writer.WriteStringValue(value.ToString().Replace("''", "'", StringComparison.Ordinal));
                }
                else
                {
                    writer?.WriteStringValue(value);
                }

                return at + 1;
            }

            return -1;
        }

        /// <summary>Whether a plain scalar may start here: not at an indicator, except a '-' with a non-space after it, as in -1.</summary>
        private bool MayStartPlain(int start, int end) =>
            !Indicators.Contains(text[start]) || (text[start] == '-' && start + 1 < end && text[start + 1] is not (' ' or ',' or ']' or '}'));

        /// <summary>Where a simple key that starts at <paramref name="start"/> ends (at its ':', which a space or the line's end follows), or -1.</summary>
        private int KeyEnd(int start, int end)
        {
            var length = text.AsSpan(start, end - start).IndexOfAnyExcept(KeyCharacters);
            var keyEnd = start + length;
            return length > 0 && length <= MaxKeyLength && text[start] != '-' && text[keyEnd] == ':' && (keyEnd + 1 == end || text[keyEnd + 1] == ' ')
                ? keyEnd
                : -1;
        }

        private bool IsKey(int start, int end) => KeyEnd(start, end) > 0;

        private bool IsDash(Line line) => text[line.Start] == '-' && (line.Start + 1 == line.End || text[line.Start + 1] == ' ');

        private int SkipSpaces(int position, int end)
        {
            while (position < end && text[position] == ' ')
            {
                position++;
            }

            return position;
        }

        private bool Counted() => ++_nodes <= YamlToJson.MaxNodes;
    }

    /// <summary>
    /// The keys of the mappings being written, innermost last, to give up on a repeated one (the reference reader refuses
    /// it). One list serves every mapping of a text; a mapping with many keys gets a set of its own.
    /// </summary>
    private sealed class KeyStack(string text)
    {
        private const int ScanLimit = 16;
        private readonly List<(int Start, int Length)> _keys = new(32);
        private readonly Dictionary<int, HashSet<string>> _many = [];

        /// <summary>Starts a mapping; returns its mark.</summary>
        public int Open() => _keys.Count;

        public void Close(int mark)
        {
            _keys.RemoveRange(mark, _keys.Count - mark);
            _many.Remove(mark);
        }

        /// <returns>False when the mapping opened at <paramref name="mark"/> already has the key.</returns>
        public bool Add(int mark, int start, int end)
        {
            var key = text.AsSpan(start, end - start);
            if (_many.TryGetValue(mark, out var many))
            {
                return many.Add(key.ToString());
            }

            for (var other = mark; other < _keys.Count; other++)
            {
                if (text.AsSpan(_keys[other].Start, _keys[other].Length).SequenceEqual(key))
                {
                    return false;
                }
            }

            _keys.Add((start, end - start));
            if (_keys.Count - mark == ScanLimit)
            {
                _many[mark] = new HashSet<string>(StringComparer.Ordinal);
                for (var other = mark; other < _keys.Count; other++)
                {
                    _many[mark].Add(text.Substring(_keys[other].Start, _keys[other].Length));
                }
            }

            return true;
        }
    }
}
