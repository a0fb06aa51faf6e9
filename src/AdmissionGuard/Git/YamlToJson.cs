using System.Buffers;
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
        else
        {
            PlainScalar.Write(writer, value);
        }
    }
}
