using System.Collections.Immutable;
using System.Text;
using System.Text.Json;

namespace AdmissionGuard.Core.Policy;

/// <summary>
/// A policy object as one forward-only pass over an AdmissionReview finds it: kind, apiVersion, name,
/// namespace and the annotations a decision can use, and the raw JSON of labels and spec, which
/// <see cref="PolicyReader"/> then reads, or recognises by their bytes. Nothing else is kept:
/// <c>managedFields</c> and the rest are only skipped.
/// </summary>
/// <remarks>
/// The raw parts are slices of the body: the scan is used while the body is. A problem met during the pass
/// is kept, not thrown, so that the review's own problems (uid, operation, namespace) are reported first.
/// </remarks>
public sealed class PolicyScan
{
    public string? Kind { get; private set; }

    public string? ApiVersion { get; private set; }

    public string Name { get; private set; } = "";

    public string Namespace { get; private set; } = "";

    internal ReadOnlyMemory<byte> Labels { get; private set; }

    /// <summary>Whether the labels are kept, or only checked to be a map of strings (<see cref="Read"/>).</summary>
    internal bool KeepLabels { get; private set; } = true;

    /// <summary>The annotations kept by the filter given to <see cref="Read"/>, read during the pass.</summary>
    internal ImmutableSortedDictionary<string, string> Annotations { get; private set; } = NoAnnotations;

    internal ReadOnlyMemory<byte> Spec { get; private set; }

    /// <summary>
    /// The first problem in the metadata, in document order: a <see cref="PolicyFormatException"/>, or the
    /// <see cref="InvalidOperationException"/> of an annotation that is not valid Unicode. The spec is checked when read, after it.
    /// </summary>
    internal Exception? Problem { get; private set; }

    private static readonly ImmutableSortedDictionary<string, string> NoAnnotations = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <summary>Reads the object the reader is on (its <see cref="JsonTokenType.StartObject"/>) and leaves the reader at its end.</summary>
    /// <param name="reader">A reader over <paramref name="json"/>, the whole body.</param>
    /// <param name="keepAnnotation">
    /// Annotations whose key it rejects are left out without their values being read (they must still be
    /// strings): kubectl's last-applied-configuration repeats the whole object and nothing compares it.
    /// Null keeps them all.
    /// </param>
    /// <param name="keepLabels">False when no decision reads labels: they are then checked, not kept.</param>
    /// <param name="likelyName">The name the object most likely has (the request's): kept as that instance when equal.</param>
    /// <param name="likelyNamespace">The namespace the object most likely has, kept likewise.</param>
    public static PolicyScan Read(
        ref Utf8JsonReader reader, ReadOnlyMemory<byte> json, AnnotationFilter? keepAnnotation = null, bool keepLabels = true, string? likelyName = null, string? likelyNamespace = null)
    {
        var scan = new PolicyScan { KeepLabels = keepLabels };
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("metadata"u8))
            {
                reader.Read();
                scan.ReadMetadata(ref reader, json, keepAnnotation, likelyName, likelyNamespace);
            }
            else if (reader.ValueTextEquals("spec"u8))
            {
                reader.Read();
                scan.Spec = Raw(ref reader, json);
            }
            else if (reader.ValueTextEquals("kind"u8))
            {
                scan.Kind = JsonReaderSteps.NextString(ref reader, PolicyReader.Kind);
            }
            else if (reader.ValueTextEquals("apiVersion"u8))
            {
                scan.ApiVersion = JsonReaderSteps.NextString(ref reader, PolicyReader.ApiVersion);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return scan;
    }

    private void ReadMetadata(ref Utf8JsonReader reader, ReadOnlyMemory<byte> json, AnnotationFilter? keepAnnotation, string? likelyName, string? likelyNamespace)
    {
        // A repeated metadata key replaces the first, as in Go's decoder; nothing of the first is kept.
        (Name, Namespace, Labels, Annotations) = ("", "", default, NoAnnotations);
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            Problem ??= new PolicyFormatException("metadata", $"must be a mapping, not {Describe(ref reader)}");
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                Name = OptionalString(ref reader, "metadata.name", likelyName) ?? "";
            }
            else if (reader.ValueTextEquals("namespace"u8))
            {
                reader.Read();
                Namespace = OptionalString(ref reader, "metadata.namespace", likelyNamespace) ?? "";
            }
            else if (reader.ValueTextEquals("labels"u8))
            {
                reader.Read();
                Labels = ReadLabels(ref reader, json);
            }
            else if (reader.ValueTextEquals("annotations"u8))
            {
                reader.Read();
                Annotations = ReadAnnotations(ref reader, keepAnnotation);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private string? OptionalString(ref Utf8JsonReader reader, string path, string? likely) =>
        At(ref reader, JsonTokenType.String, path) ? JsonReaderSteps.CurrentString(ref reader, likely) : null;

    /// <summary>
    /// The labels' raw JSON, empty for null; their entries are read later, only when not recognised by their bytes.
    /// Their values are checked to be strings on the way, so that their problems rank in document order. Labels no
    /// decision reads (<see cref="KeepLabels"/> false) are checked whole here, keys and values decoded into a stack
    /// buffer, and not kept: the request makes nothing of them.
    /// </summary>
    private ReadOnlyMemory<byte> ReadLabels(ref Utf8JsonReader reader, ReadOnlyMemory<byte> json)
    {
        if (!At(ref reader, JsonTokenType.StartObject, "metadata.labels"))
        {
            return default;
        }

        var start = (int)reader.TokenStartIndex;
        Span<char> text = stackalloc char[JsonReaderSteps.KeyTextLength];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader;
            reader.Read();
            try
            {
                if (reader.TokenType != JsonTokenType.String)
                {
                    Problem ??= new PolicyFormatException($"metadata.labels.{Excerpt.Of(key.GetString())}", $"must be a string, not {Describe(ref reader)} (quote it in YAML)");
                }
                else if (!KeepLabels && Problem is null)
                {
                    _ = JsonReaderSteps.Text(in key, text, out _);
                    _ = JsonReaderSteps.Text(in reader, text, out _);
                }
            }
            catch (InvalidOperationException e)
            {
                // A key or value that is not valid Unicode: reported only if this object is read at all, as for annotations.
                Problem ??= e;
            }

            reader.Skip();
        }

        return KeepLabels ? json[start..(int)reader.BytesConsumed] : default;
    }

    /// <summary>Whether the reader is on a value of <paramref name="kind"/> (a string or a mapping); null is none, anything else a problem, skipped.</summary>
    private bool At(ref Utf8JsonReader reader, JsonTokenType kind, string path)
    {
        if (reader.TokenType == kind)
        {
            return true;
        }

        if (reader.TokenType != JsonTokenType.Null)
        {
            Problem ??= new PolicyFormatException(path, kind == JsonTokenType.String
                ? $"must be a string, not {Describe(ref reader)} (quote it in YAML)"
                : $"must be a mapping, not {Describe(ref reader)}");
            reader.Skip();
        }

        return false;
    }

    /// <summary>
    /// Annotations are read in the pass itself rather than kept as raw JSON and read again: their values
    /// (last-applied-configuration above all) are long escaped strings, the slowest JSON there is to read.
    /// </summary>
    private ImmutableSortedDictionary<string, string> ReadAnnotations(ref Utf8JsonReader reader, AnnotationFilter? keep)
    {
        if (!At(ref reader, JsonTokenType.StartObject, "metadata.annotations"))
        {
            return NoAnnotations;
        }

        ImmutableSortedDictionary<string, string>.Builder? kept = null;
        Span<char> keyText = stackalloc char[JsonReaderSteps.KeyTextLength];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (Problem is not null)
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            try
            {
                var key = JsonReaderSteps.Text(in reader, keyText, out var longKey);
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    Problem = new PolicyFormatException($"metadata.annotations.{key}", $"must be a string, not {Describe(ref reader)} (quote it in YAML)");
                    reader.Skip();
                }
                else if (keep is null || keep(key))
                {
                    kept ??= ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
                    kept[longKey ?? key.ToString()] = reader.GetString()!;
                }
            }
            catch (InvalidOperationException e)
            {
                // An escaped lone surrogate: reported only if this object is read at all.
                Problem = e;
                if (reader.TokenType == JsonTokenType.PropertyName)
                {
                    reader.Read();
                }

                reader.Skip();
            }
        }

        return kept is null ? NoAnnotations : kept.ToImmutable();
    }

    private static ReadOnlyMemory<byte> Raw(ref Utf8JsonReader reader, ReadOnlyMemory<byte> json)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return json[start..(int)reader.BytesConsumed];
    }

    internal static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.StartObject => "a mapping",
        JsonTokenType.StartArray => "a list",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => $"the number {Excerpt.Of(Encoding.UTF8.GetString(reader.ValueSpan.Length > 64 ? reader.ValueSpan[..64] : reader.ValueSpan), 40)}",
        JsonTokenType.True => "the boolean true",
        JsonTokenType.False => "the boolean false",
        _ => "null",
    };
}
