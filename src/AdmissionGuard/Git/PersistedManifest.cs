using System.Text.Json;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Git;

/// <summary>
/// One manifest file of a persisted baseline, as one line of JSON: the file (its path, blob, source) and the policies
/// read from it, each with its name, its <see cref="ServedSpec"/>'s digest (and for a rendered source the served spec itself, both base64), and its other parts as indexes into the
/// baseline's part tables (<see cref="PersistedPartsWriter"/>). A restart reads them back without parsing YAML or
/// reading any spec again, and needs neither Git nor the cached clone.
/// </summary>
internal static class PersistedManifest
{
    /// <param name="parts">Holds the parts of every policy written (<see cref="PersistedPartsWriter.Add"/>).</param>
    public static void Write(Utf8JsonWriter writer, ManifestFile file, IReadOnlyList<DeclaredPolicy> policies, PersistedPartsWriter parts)
    {
        writer.WriteStartObject();
        writer.WriteString("path", file.Path);
        WriteIfSet(writer, "blob", file.BlobId);
        WriteIfSet(writer, "namespace", file.Namespace);
        WriteIfSet(writer, "targetNamespace", file.TargetNamespace);
        WriteIfSet(writer, "source", file.Source);
        if (file.Rendered)
        {
            writer.WriteBoolean("rendered", true);
        }

        writer.WriteStartArray("policies");
        for (var i = 0; i < policies.Count; i++)
        {
            WritePolicy(writer, file, policies[i], parts);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <exception cref="JsonException">The line is not one this build wrote.</exception>
    /// <param name="parts">The part tables, read before the files.</param>
    public static ManifestFile Read(ReadOnlyMemory<byte> line, PersistedPartsReader parts)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        var path = Required(root, "path");
        var file = new ManifestFile(path, "")
        {
            BlobId = Optional(root, "blob"),
            Namespace = Optional(root, "namespace"),
            TargetNamespace = Optional(root, "targetNamespace"),
            Source = Optional(root, "source"),
            Rendered = root.TryGetProperty("rendered", out var rendered) && rendered.GetBoolean(),
        };

        var items = Property(root, "policies");
        var policies = new List<DeclaredPolicy>(items.GetArrayLength());
        foreach (var item in items.EnumerateArray())
        {
            policies.Add(ReadPolicy(item, path, parts));
        }

        return file with { Read = policies };
    }

    private static void WritePolicy(Utf8JsonWriter writer, ManifestFile file, DeclaredPolicy declared, PersistedPartsWriter parts)
    {
        var policy = declared.Policy;
        writer.WriteStartObject();
        if (declared.Path != file.Path)
        {
            writer.WriteString("path", declared.Path);
        }

        writer.WriteNumber("document", declared.DocumentIndex);
        var isDocument = declared.LocationIsDocument && declared.Path == file.Path;
        if (!isDocument && declared.Location != ManifestReader.DocumentLocation(file.Path, declared.DocumentIndex))
        {
            writer.WriteString("location", declared.Location);
        }

        WriteIfSet(writer, "via", declared.Via);
        WriteIfSet(writer, "notice", declared.Notice);
        writer.WriteString("name", policy.Name);
        writer.WriteNumber("namespace", parts.String(policy.Namespace));
        WriteIfSet(writer, "labels", parts.LabelSet(policy.Labels));
        WriteIfSet(writer, "annotations", parts.LabelSet(policy.Annotations));
        writer.WriteNumber("spec", parts.Spec(policy.Spec));
        if (declared.ServedDigest is { } digest)
        {
            Span<byte> bytes = stackalloc byte[SpecDigest.Size];
            digest.WriteTo(bytes);
            writer.WriteBase64String("digest", bytes);
        }

        if (declared.ServedSpec is { } served)
        {
            writer.WriteBase64String("served", served);
        }

        writer.WriteEndObject();
    }

    private static DeclaredPolicy ReadPolicy(JsonElement item, string filePath, PersistedPartsReader parts)
    {
        var policy = new CanonicalPolicy(
            parts.String(Property(item, "namespace").GetInt32()),
            Required(item, "name"),
            parts.Spec(Property(item, "spec").GetInt32()),
            parts.LabelSet(item.TryGetProperty("labels", out var labels) ? labels.GetInt32() : -1),
            parts.LabelSet(item.TryGetProperty("annotations", out var annotations) ? annotations.GetInt32() : -1));
        var (path, document) = (Optional(item, "path"), Property(item, "document").GetInt32());
        var read = new DeclaredPolicy(policy, path ?? filePath, document, item.TryGetProperty("digest", out var digest) ? Digest(digest) : null)
        {
            ServedSpec = item.TryGetProperty("served", out var served) ? served.GetBytesFromBase64() : null,
            Via = Optional(item, "via"),
            Notice = Optional(item, "notice"),
        };

        // Written only when it is not the whole document's in the file; the policy keeps it only when it is not its own path's.
        var location = Optional(item, "location");
        return location is null && path is null ? read : read with { Location = location ?? ManifestReader.DocumentLocation(filePath, document) };
    }

    private static SpecDigest Digest(JsonElement digest)
    {
        var bytes = digest.GetBytesFromBase64();
        return bytes.Length == SpecDigest.Size ? SpecDigest.FromBytes(bytes) : throw new JsonException($"a policy's \"digest\" is {bytes.Length} bytes, not {SpecDigest.Size}");
    }

    private static void WriteIfSet(Utf8JsonWriter writer, string name, int index)
    {
        if (index != -1)
        {
            writer.WriteNumber(name, index);
        }
    }

    private static void WriteIfSet(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static JsonElement Property(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value : throw new JsonException($"no \"{name}\" in a file's line");

    private static string Required(JsonElement element, string name) =>
        Property(element, name).GetString() ?? throw new JsonException($"\"{name}\" is null");

    private static string? Optional(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.GetString() : null;
}
