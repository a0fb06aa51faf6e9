using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace AdmissionGuard.Fuzz;

/// <summary>
/// The starting corpus of a target, from real inputs: AdmissionReviews for <c>review</c>, their
/// <c>object</c> and <c>oldObject</c> for <c>policy</c>, manifest files for <c>manifest</c>. JSON is written
/// compact (as the API server sends it); seeds are deduplicated and kept small, as afl-fuzz wants them.
/// </summary>
internal static class Seeds
{
    private const int MaxSeedBytes = 16 * 1024;

    public static int Write(string target, string outDirectory, IReadOnlyList<string> sources)
    {
        Directory.CreateDirectory(outDirectory);
        var extensions = target == "manifest" ? new[] { ".yaml", ".yml" } : [".json"];
        var files = sources
            .SelectMany(source => Directory.Exists(source)
                ? Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories)
                : File.Exists(source) ? [source] : [])
            .Where(file => extensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var (written, tooLarge) = (0, 0);
        foreach (var file in files)
        {
            foreach (var (suffix, seed) in SeedsOf(target, File.ReadAllBytes(file)))
            {
                if (seed.Length > MaxSeedBytes)
                {
                    tooLarge++;
                    continue;
                }

                var hash = Convert.ToHexStringLower(SHA256.HashData(seed));
                if (seen.Add(hash))
                {
                    var name = $"{Path.GetFileNameWithoutExtension(file)}{suffix}-{hash[..8]}{Path.GetExtension(file)}";
                    File.WriteAllBytes(Path.Combine(outDirectory, name), seed);
                    written++;
                }
            }
        }

        Console.WriteLine($"{outDirectory}: {written} seeds for {target} from {files.Count} files ({tooLarge} over {MaxSeedBytes / 1024} KiB left out)");
        return written > 0 ? 0 : 1;
    }

    private static List<(string Suffix, byte[] Seed)> SeedsOf(string target, byte[] file)
    {
        if (target == "manifest")
        {
            return [("", file)];
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(file);
        }
        catch (JsonException)
        {
            return [];
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("kind", out var kind) || kind.ValueKind != JsonValueKind.String || kind.GetString() != "AdmissionReview"
                || !root.TryGetProperty("request", out var request) || request.ValueKind != JsonValueKind.Object)
            {
                return [];
            }

            if (target == "review")
            {
                return [("", Compact(root))];
            }

            var seeds = new List<(string, byte[])>();
            foreach (var property in new[] { "object", "oldObject" })
            {
                if (request.TryGetProperty(property, out var policy) && policy.ValueKind == JsonValueKind.Object)
                {
                    seeds.Add(($"-{property}", Compact(policy)));
                }
            }

            return seeds;
        }
    }

    private static byte[] Compact(JsonElement element)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            element.WriteTo(writer);
        }

        return buffer.ToArray();
    }
}
