using System.Runtime.InteropServices;
using System.Text.Json;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Git;

/// <summary>
/// One manifest file of a persisted baseline, as one line of JSON: the file (its path, blob, source) and the policies
/// read from it, each as a NetworkPolicy object whose spec is its <see cref="ServedSpec"/>. A restart reads them back
/// with the same reader instead of parsing the YAML again, and needs neither Git nor the cached clone.
/// </summary>
internal static class PersistedManifest
{
    public static void Write(Utf8JsonWriter writer, ManifestFile file, IReadOnlyList<DeclaredPolicy> policies)
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
        foreach (var declared in policies)
        {
            WritePolicy(writer, file, declared);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <exception cref="JsonException">The line is not one this build wrote.</exception>
    /// <exception cref="PolicyFormatException">A persisted policy does not read back.</exception>
    /// <param name="sharing">The policies are shared as they are read, so their unshared copies die young.</param>
    public static ManifestFile Read(ReadOnlyMemory<byte> line, PolicySharing? sharing = null)
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

        var policies = new List<DeclaredPolicy>();
        foreach (var item in Property(root, "policies").EnumerateArray())
        {
            var policy = ReadPolicy(item, path);
            policies.Add(sharing is null ? policy : policy with { Policy = sharing.Share(policy.Policy) });
        }

        return file with { Read = policies };
    }

    private static void WritePolicy(Utf8JsonWriter writer, ManifestFile file, DeclaredPolicy declared)
    {
        var policy = declared.Policy;
        writer.WriteStartObject();
        if (declared.Path != file.Path)
        {
            writer.WriteString("path", declared.Path);
        }

        writer.WriteNumber("document", declared.DocumentIndex);
        if (declared.Location != ManifestReader.DocumentLocation(file.Path, declared.DocumentIndex))
        {
            writer.WriteString("location", declared.Location);
        }

        WriteIfSet(writer, "via", declared.Via);
        WriteIfSet(writer, "notice", declared.Notice);
        writer.WriteBoolean("served", declared.ServedSpec is not null);
        writer.WriteStartObject("object");
        writer.WriteStartObject("metadata");
        writer.WriteString("name", policy.Name);
        writer.WriteString("namespace", policy.Namespace);
        WriteMap(writer, "labels", policy.Labels);
        WriteMap(writer, "annotations", policy.Annotations);
        writer.WriteEndObject();
        if ((declared.ServedSpec ?? declared.SpecJson) is { } spec)
        {
            writer.WritePropertyName("spec");
            writer.WriteRawValue(spec, skipInputValidation: true);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static DeclaredPolicy ReadPolicy(JsonElement item, string filePath)
    {
        var policyObject = Property(item, "object");

        // Read as the API server's own objects are: the names and labels were checked when the manifest was.
        var policy = PolicyReader.Read(policyObject);
        byte[]? spec = policyObject.TryGetProperty("spec", out var specElement) ? JsonMarshal.GetRawUtf8Value(specElement).ToArray() : null;
        var served = Property(item, "served").GetBoolean();
        var document = Property(item, "document").GetInt32();
        return new DeclaredPolicy(
            policy,
            Optional(item, "path") ?? filePath,
            document,
            Optional(item, "location") ?? ManifestReader.DocumentLocation(filePath, document),
            served ? spec : null)
        {
            Via = Optional(item, "via"),
            Notice = Optional(item, "notice"),
            SpecJson = served ? null : spec,
        };
    }

    private static void WriteMap(Utf8JsonWriter writer, string name, System.Collections.Immutable.ImmutableSortedDictionary<string, string> map)
    {
        if (map.Count == 0)
        {
            return;
        }

        writer.WriteStartObject(name);
        foreach (var (key, value) in map)
        {
            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
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
