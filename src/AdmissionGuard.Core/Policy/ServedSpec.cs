using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace AdmissionGuard.Core.Policy;

/// <summary>
/// A declared policy's spec rendered as the API server serialises it in an AdmissionReview: Go struct
/// field order, the API server's defaults applied, empty fields omitted, no whitespace. Rendered once
/// when the baseline loads, so a request whose spec is exactly these bytes (the common case: GitOps and
/// <c>kubectl apply</c> send Git's lists in Git's order) is known to match without being read.
/// </summary>
/// <remarks>
/// A rendering counts only after it has been read back into the same canonical spec, so a rendering
/// that differs from the API server's only costs speed: the request is then read in full. A baseline keeps
/// its <see cref="SpecDigest"/>, not its bytes.
/// </remarks>
public static class ServedSpec
{
    /// <summary>A thread's rendering buffer is kept for its next spec up to this size: a baseline renders thousands in a row.</summary>
    private const int MaxKeptBuffer = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? RenderBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? RenderWriter;

    /// <summary>The rendering of <paramref name="policy"/>'s spec, or null when it cannot be rendered exactly.</summary>
    /// <param name="policy">The declared object as JSON (the manifest converted from YAML).</param>
    /// <param name="canonical">The canonical spec read from the same object.</param>
    public static byte[]? Render(JsonElement policy, PolicySpec canonical) => Rendered(policy, canonical)?.ToArray();

    /// <summary>The <see cref="SpecDigest"/> of <see cref="Render"/>'s bytes, without keeping them; null when it cannot be rendered exactly.</summary>
    public static SpecDigest? Digest(JsonElement policy, PolicySpec canonical) => Rendered(policy, canonical) is { } rendered ? SpecDigest.Of(rendered.Span) : null;

    /// <summary>The rendering in this thread's buffer: valid until the thread renders again.</summary>
    private static ReadOnlyMemory<byte>? Rendered(JsonElement policy, PolicySpec canonical)
    {
        var spec = policy.ValueKind == JsonValueKind.Object && policy.TryGetProperty("spec", out var value) ? value : default;
        var buffer = RenderBuffer ??= new ArrayBufferWriter<byte>(2048);
        var writer = RenderWriter ??= new Utf8JsonWriter(buffer);
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        try
        {
            if (!TryWriteSpec(writer, spec))
            {
                return null;
            }

            writer.Flush();
            var rendered = buffer.WrittenMemory;
            if (!ReadsBackAs(rendered, canonical))
            {
                return null;
            }

            return rendered;
        }
        finally
        {
            if (buffer.Capacity > MaxKeptBuffer)
            {
                (RenderBuffer, RenderWriter) = (null, null);
            }
        }
    }

    private static bool ReadsBackAs(ReadOnlyMemory<byte> rendered, PolicySpec canonical)
    {
        try
        {
            using var document = JsonDocument.Parse(rendered);
            return PolicyReader.ReadSpec(document.RootElement).Equals(canonical);
        }
        catch (Exception e) when (e is JsonException or PolicyFormatException)
        {
            return false;
        }
    }

    // NetworkPolicySpec: podSelector (always written), ingress, egress, policyTypes (defaulted).
    private static bool TryWriteSpec(Utf8JsonWriter writer, JsonElement spec)
    {
        JsonElement podSelector = default, ingress = default, egress = default, policyTypes = default;
        if (Present(spec))
        {
            if (spec.ValueKind != JsonValueKind.Object || !Fields(spec, SpecFields, out var fields))
            {
                return false;
            }

            (podSelector, ingress, egress, policyTypes) = (fields[0], fields[1], fields[2], fields[3]);
        }

        writer.WriteStartObject();
        writer.WritePropertyName("podSelector");
        if (!TryWriteSelector(writer, podSelector)
            || !TryWriteList(writer, "ingress"u8, ingress, TryWriteIngressRule)
            || !TryWriteList(writer, "egress"u8, egress, TryWriteEgressRule))
        {
            return false;
        }

        if (Count(policyTypes) > 0)
        {
            if (!TryWriteStrings(writer, "policyTypes"u8, policyTypes))
            {
                return false;
            }
        }
        else
        {
            // SetDefaults_NetworkPolicy: Ingress, plus Egress when there are egress rules.
            writer.WriteStartArray("policyTypes");
            writer.WriteStringValue("Ingress");
            if (Count(egress) > 0)
            {
                writer.WriteStringValue("Egress");
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        return true;
    }

    // NetworkPolicyIngressRule / EgressRule: ports, then from / to.
    private static bool TryWriteIngressRule(Utf8JsonWriter writer, JsonElement rule) => TryWriteObject(writer, rule, IngressRuleFields, TryWriteRuleFields);

    private static bool TryWriteEgressRule(Utf8JsonWriter writer, JsonElement rule) => TryWriteObject(writer, rule, EgressRuleFields, TryWriteRuleFields);

    private static bool TryWriteRuleFields(Utf8JsonWriter writer, ReadOnlySpan<JsonElement> fields, JsonEncodedText[] names) =>
        TryWriteList(writer, names[0].EncodedUtf8Bytes, fields[0], TryWritePort) && TryWriteList(writer, names[1].EncodedUtf8Bytes, fields[1], TryWritePeer);

    private static readonly JsonEncodedText[] SpecFields = [JsonEncodedText.Encode("podSelector"), JsonEncodedText.Encode("ingress"), JsonEncodedText.Encode("egress"), JsonEncodedText.Encode("policyTypes")];
    private static readonly JsonEncodedText[] SelectorFields = [JsonEncodedText.Encode("matchLabels"), JsonEncodedText.Encode("matchExpressions")];
    private static readonly JsonEncodedText[] IngressRuleFields = [JsonEncodedText.Encode("ports"), JsonEncodedText.Encode("from")];
    private static readonly JsonEncodedText[] EgressRuleFields = [JsonEncodedText.Encode("ports"), JsonEncodedText.Encode("to")];
    private static readonly JsonEncodedText[] PortFields = [JsonEncodedText.Encode("protocol"), JsonEncodedText.Encode("port"), JsonEncodedText.Encode("endPort")];
    private static readonly JsonEncodedText[] PeerFields = [JsonEncodedText.Encode("podSelector"), JsonEncodedText.Encode("namespaceSelector"), JsonEncodedText.Encode("ipBlock")];
    private static readonly JsonEncodedText[] IpBlockFields = [JsonEncodedText.Encode("cidr"), JsonEncodedText.Encode("except")];
    private static readonly JsonEncodedText[] RequirementFields = [JsonEncodedText.Encode("key"), JsonEncodedText.Encode("operator"), JsonEncodedText.Encode("values")];

    // NetworkPolicyPort: protocol (defaulted to TCP), port, endPort.
    private static bool TryWritePort(Utf8JsonWriter writer, JsonElement port) =>
        TryWriteObject(writer, port, PortFields, static (writer, fields, _) =>
        {
            if (Present(fields[0]))
            {
                if (!TryWriteString(writer, "protocol"u8, fields[0]))
                {
                    return false;
                }
            }
            else
            {
                writer.WriteString("protocol"u8, "TCP"u8);
            }

            return (!Present(fields[1]) || TryWriteIntOrString(writer, "port"u8, fields[1]))
                && (!Present(fields[2]) || TryWriteInteger(writer, "endPort"u8, fields[2]));
        });

    // NetworkPolicyPeer: podSelector, namespaceSelector, ipBlock (cidr, except).
    private static bool TryWritePeer(Utf8JsonWriter writer, JsonElement peer) =>
        TryWriteObject(writer, peer, PeerFields, static (writer, fields, _) =>
        {
            if (!TryWriteSelectorField(writer, "podSelector"u8, fields[0]) || !TryWriteSelectorField(writer, "namespaceSelector"u8, fields[1]))
            {
                return false;
            }

            if (!Present(fields[2]))
            {
                return true;
            }

            writer.WritePropertyName("ipBlock");
            return TryWriteObject(writer, fields[2], IpBlockFields, static (writer, block, _) =>
                TryWriteString(writer, "cidr"u8, block[0]) && (Count(block[1]) == 0 || TryWriteStrings(writer, "except"u8, block[1])));
        });

    /// <summary>A selector field of a peer: not written when absent or null.</summary>
    private static bool TryWriteSelectorField(Utf8JsonWriter writer, ReadOnlySpan<byte> name, JsonElement selector)
    {
        if (!Present(selector))
        {
            return true;
        }

        writer.WritePropertyName(name);
        return TryWriteSelector(writer, selector);
    }

    // LabelSelector: matchLabels (keys sorted, as Go writes maps), matchExpressions (key, operator, values).
    private static bool TryWriteSelector(Utf8JsonWriter writer, JsonElement selector)
    {
        writer.WriteStartObject();
        if (Present(selector))
        {
            if (selector.ValueKind != JsonValueKind.Object || !Fields(selector, SelectorFields, out var fields))
            {
                return false;
            }

            if (Present(fields[0]))
            {
                if (fields[0].ValueKind != JsonValueKind.Object)
                {
                    return false;
                }

                if (!TryWriteMatchLabels(writer, fields[0]))
                {
                    return false;
                }
            }

            if (!TryWriteList(writer, "matchExpressions"u8, fields[1], TryWriteRequirement))
            {
                return false;
            }
        }

        writer.WriteEndObject();
        return true;
    }

    /// <summary>matchLabels with its keys sorted by their bytes, as Go writes a map: only plain keys, so as C# orders them too.</summary>
    private static bool TryWriteMatchLabels(Utf8JsonWriter writer, JsonElement matchLabels)
    {
        var count = 0;
        foreach (var _ in matchLabels.EnumerateObject())
        {
            count++;
        }

        if (count == 0)
        {
            return true;
        }

        var labels = ArrayPool<JsonProperty>.Shared.Rent(count);
        try
        {
            var index = 0;
            foreach (var label in matchLabels.EnumerateObject())
            {
                labels[index++] = label;
            }

            var sorted = labels.AsSpan(0, count);
            sorted.Sort(static (a, b) => JsonMarshal.GetRawUtf8PropertyName(a).SequenceCompareTo(JsonMarshal.GetRawUtf8PropertyName(b)));
            writer.WriteStartObject("matchLabels");
            foreach (var label in sorted)
            {
                var key = JsonMarshal.GetRawUtf8PropertyName(label);
                if (!Plain(key) || !TryWriteString(writer, key, label.Value))
                {
                    return false;
                }
            }

            writer.WriteEndObject();
            return true;
        }
        finally
        {
            // The properties hold their document: the pool must not keep it alive.
            ArrayPool<JsonProperty>.Shared.Return(labels, clearArray: true);
        }
    }

    private static bool TryWriteRequirement(Utf8JsonWriter writer, JsonElement requirement) =>
        TryWriteObject(writer, requirement, RequirementFields, static (writer, fields, _) =>
            TryWriteString(writer, "key"u8, fields[0]) && TryWriteString(writer, "operator"u8, fields[1])
            && (Count(fields[2]) == 0 || TryWriteStrings(writer, "values"u8, fields[2])));

    private delegate bool FieldsWriter(Utf8JsonWriter writer, ReadOnlySpan<JsonElement> fields, JsonEncodedText[] names);

    /// <summary>The fields an object may have, by their index in its names (four at most), without an array per object.</summary>
    [InlineArray(4)]
    private struct FieldValues
    {
        private JsonElement _first;
    }

    /// <summary>An object that has only the named fields, written by <paramref name="writeFields"/> (which gets them in the names' order).</summary>
    private static bool TryWriteObject(Utf8JsonWriter writer, JsonElement element, JsonEncodedText[] names, FieldsWriter writeFields)
    {
        if (element.ValueKind != JsonValueKind.Object || !Fields(element, names, out var fields))
        {
            return false;
        }

        writer.WriteStartObject();
        if (!writeFields(writer, fields, names))
        {
            return false;
        }

        writer.WriteEndObject();
        return true;
    }

    private delegate bool ItemWriter(Utf8JsonWriter writer, JsonElement item);

    /// <summary>A list field with <c>omitempty</c>: absent, null and empty lists are not written.</summary>
    private static bool TryWriteList(Utf8JsonWriter writer, ReadOnlySpan<byte> name, JsonElement list, ItemWriter writeItem)
    {
        if (Count(list) == 0)
        {
            return list.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.Array;
        }

        writer.WriteStartArray(name);
        foreach (var item in list.EnumerateArray())
        {
            if (!writeItem(writer, item))
            {
                return false;
            }
        }

        writer.WriteEndArray();
        return true;
    }

    private static bool TryWriteStrings(Utf8JsonWriter writer, ReadOnlySpan<byte> name, JsonElement list)
    {
        if (list.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        writer.WriteStartArray(name);
        foreach (var item in list.EnumerateArray())
        {
            if (!TryGetPlain(item, out var text))
            {
                return false;
            }

            writer.WriteStringValue(text);
        }

        writer.WriteEndArray();
        return true;
    }

    private static bool TryWriteString(Utf8JsonWriter writer, ReadOnlySpan<byte> name, JsonElement value)
    {
        if (!TryGetPlain(value, out var text))
        {
            return false;
        }

        writer.WriteString(name, text);
        return true;
    }

    /// <summary>A string written without escapes and <see cref="Plain"/>, as its UTF-8 bytes: read without making a string of it.</summary>
    private static bool TryGetPlain(JsonElement value, out ReadOnlySpan<byte> text)
    {
        text = default;
        if (value.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        text = JsonMarshal.GetRawUtf8Value(value)[1..^1];
        return Plain(text);
    }

    private static bool TryWriteIntOrString(Utf8JsonWriter writer, ReadOnlySpan<byte> name, JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? TryWriteString(writer, name, value) : TryWriteInteger(writer, name, value);

    private static bool TryWriteInteger(Utf8JsonWriter writer, ReadOnlySpan<byte> name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number))
        {
            return false;
        }

        writer.WriteNumber(name, number);
        return true;
    }

    /// <summary>
    /// Text that Go and <see cref="Utf8JsonWriter"/> write the same way, unescaped. Labels, CIDRs, port
    /// names and protocols are always this; anything else is left to the full read.
    /// </summary>
    private static bool Plain(ReadOnlySpan<byte> text)
    {
        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit((char)c) || c is (byte)'.' or (byte)'-' or (byte)'_' or (byte)'/' or (byte)':'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Picks the named fields of an object; false when it has any other field (the strict reader decides what that means).</summary>
    private static bool Fields(JsonElement obj, JsonEncodedText[] names, out FieldValues values)
    {
        values = default;
        foreach (var field in obj.EnumerateObject())
        {
            var index = names.Length - 1;
            while (index >= 0 && !field.NameEquals(names[index].EncodedUtf8Bytes))
            {
                index--;
            }

            if (index < 0 || values[index].ValueKind != JsonValueKind.Undefined)
            {
                return false;
            }

            values[index] = field.Value;
        }

        return true;
    }

    private static bool Present(JsonElement value) => value.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null);

    private static int Count(JsonElement list) => list.ValueKind == JsonValueKind.Array ? list.GetArrayLength() : 0;
}
