using System.Buffers;
using System.Globalization;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace AdmissionGuard.Git;

/// <summary>
/// Converts a YAML node (read in place from <see cref="YamlNodes"/>) to JSON the way kubectl's YAML reader types scalars (plain 80 is a
/// number, "80" a string, yes/no booleans), so the same strict policy reader serves Git and admission.
/// Aliases and merge keys (<c>&lt;&lt;</c>) are expanded within a node budget: an alias bomb fails instead of eating memory.
/// </summary>
internal static class YamlToJson
{
    public const int MaxNodes = 100_000;
    public const int MaxDepth = 64;

    private static readonly HashSet<string> Nulls = ["", "~", "null", "Null", "NULL"];
    private static readonly HashSet<string> Trues = ["true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON"];
    private static readonly HashSet<string> Falses = ["false", "False", "FALSE", "n", "N", "no", "No", "NO", "off", "Off", "OFF"];

    /// <summary>The node that starts at <paramref name="node"/>, with aliases expanded, as a JSON document.</summary>
    public static JsonDocument Convert(YamlNodes nodes, int node)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            var budget = MaxNodes;
            Write(writer, nodes, node, 0, ref budget);
        }

        return JsonDocument.Parse(buffer.WrittenMemory);
    }

    private static void Write(Utf8JsonWriter writer, YamlNodes nodes, int node, int depth, ref int budget)
    {
        node = nodes.Resolve(node);
        var start = nodes[node];
        if (--budget < 0)
        {
            throw new YamlException(start.Start, start.End, $"document expands to more than {MaxNodes} nodes (alias expansion?)");
        }

        if (depth > MaxDepth)
        {
            throw new YamlException(start.Start, start.End, $"document nests deeper than {MaxDepth} levels");
        }

        switch (start)
        {
            case MappingStart:
                writer.WriteStartObject();
                foreach (var (key, value) in nodes.EffectivePairs(node))
                {
                    if (nodes[nodes.Resolve(key)] is not Scalar { Value: var name })
                    {
                        throw new YamlException(nodes[key].Start, nodes[key].End, "mapping keys must be plain strings");
                    }

                    writer.WritePropertyName(name);
                    Write(writer, nodes, value, depth + 1, ref budget);
                }

                writer.WriteEndObject();
                break;
            case SequenceStart:
                writer.WriteStartArray();
                foreach (var item in nodes.Items(node))
                {
                    Write(writer, nodes, item, depth + 1, ref budget);
                }

                writer.WriteEndArray();
                break;
            case Scalar scalar:
                WriteScalar(writer, scalar);
                break;
            default:
                throw new YamlException(start.Start, start.End, $"unsupported YAML event {start.GetType().Name}");
        }
    }

    private static void WriteScalar(Utf8JsonWriter writer, Scalar scalar)
    {
        var value = scalar.Value ?? "";
        var tag = scalar.Tag.IsEmpty ? "" : scalar.Tag.Value;
        if (scalar.Style != ScalarStyle.Plain || tag == "tag:yaml.org,2002:str")
        {
            writer.WriteStringValue(value);
        }
        else if (Nulls.Contains(value))
        {
            writer.WriteNullValue();
        }
        else if (Trues.Contains(value) || Falses.Contains(value))
        {
            writer.WriteBooleanValue(Trues.Contains(value));
        }
        else if (TryParseInteger(value, out var integer))
        {
            writer.WriteNumberValue(integer);
        }
        else if (LooksNumeric(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real))
        {
            writer.WriteNumberValue(real);
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }

    /// <summary>
    /// An integer as go-yaml v2 resolves it (Go's strconv.ParseInt with base 0, after dropping '_'):
    /// optional sign, then 0x hexadecimal, 0o or leading-0 octal, 0b binary, or decimal. So 0443 is 291, as kubectl reads it.
    /// </summary>
    private static bool TryParseInteger(string text, out long value)
    {
        value = 0;
        var digits = text.Replace("_", "", StringComparison.Ordinal);
        var negative = digits.StartsWith('-');
        if (digits.Length > 0 && digits[0] is '+' or '-')
        {
            digits = digits[1..];
        }

        var radix = 10;
        if (digits.Length > 1 && digits[0] == '0')
        {
            (radix, var prefix) = digits[1] switch { 'x' or 'X' => (16, 2), 'o' or 'O' => (8, 2), 'b' or 'B' => (2, 2), _ => (8, 1) };
            digits = digits[prefix..];
        }

        if (digits.Length == 0)
        {
            return false;
        }

        ulong magnitude = 0;
        foreach (var c in digits)
        {
            var digit = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetter(c) ? char.ToLowerInvariant(c) - 'a' + 10 : radix;
            if (digit >= radix || magnitude > (ulong.MaxValue - (ulong)digit) / (ulong)radix)
            {
                return false;
            }

            magnitude = (magnitude * (ulong)radix) + (ulong)digit;
        }

        if (magnitude > (negative ? (ulong)long.MaxValue + 1 : long.MaxValue))
        {
            return false;
        }

        value = negative ? (long)(0 - magnitude) : (long)magnitude;
        return true;
    }

    private static bool LooksNumeric(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiDigit(c) || c is '.' or '-' or '+' or 'e' or 'E') && value.Any(char.IsAsciiDigit);
}
