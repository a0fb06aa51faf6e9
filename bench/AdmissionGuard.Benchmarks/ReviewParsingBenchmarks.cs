using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using AdmissionGuard.Admission;
using BenchmarkDotNet.Attributes;

namespace AdmissionGuard.Benchmarks;

/// <summary>
/// Would System.Text.Json source generation make reading the review cheaper? /validate parses the body
/// into a <see cref="JsonDocument"/> (no reflection) and walks it; the alternative deserialises a typed
/// envelope through a source-generated context, the policies as <see cref="JsonElement"/>s for the strict
/// policy reader. Same ~8 KB UPDATE review as <see cref="DecisionBenchmarks"/>.
/// </summary>
[MemoryDiagnoser]
public class ReviewParsingBenchmarks
{
    private ReadOnlySequence<byte> _body;

    [GlobalSetup]
    public void Setup() => _body = new ReadOnlySequence<byte>(Fixtures.Review(4242, PolicyCase.Equal));

    /// <summary>The parse /validate does: the whole body into a pooled document.</summary>
    [Benchmark(Baseline = true)]
    public int JsonDocumentParse()
    {
        using var document = JsonDocument.Parse(_body);
        return document.RootElement.GetProperty("request").GetProperty("uid").GetString()!.Length;
    }

    /// <summary>The typed envelope through the source-generated context (policies kept as JsonElement).</summary>
    [Benchmark]
    public int SourceGeneratedEnvelope()
    {
        var reader = new Utf8JsonReader(_body);
        var review = JsonSerializer.Deserialize(ref reader, ReviewJson.Default.Review)!;
        return review.Request!.Uid!.Length;
    }

    /// <summary>
    /// The floor of a forward-only read: every token of the body visited with <see cref="Utf8JsonReader"/>,
    /// <c>managedFields</c> skipped, no document built. What a streaming review reader could cost at least.
    /// </summary>
    [Benchmark]
    public int ForwardOnlyScan()
    {
        var reader = new Utf8JsonReader(_body, new JsonReaderOptions { MaxDepth = 128 });
        var tokens = 0;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("managedFields"u8))
            {
                reader.Read();
                reader.Skip();
            }

            tokens++;
        }

        return tokens;
    }

    /// <summary>Everything /validate reads: parse, envelope and both policies in canonical form.</summary>
    [Benchmark]
    public int AdmissionReviewRead() => AdmissionReviewReader.Read(_body).Uid.Length;
}

public sealed class Review
{
    public string? ApiVersion { get; set; }

    public string? Kind { get; set; }

    public ReviewRequest? Request { get; set; }
}

public sealed class ReviewRequest
{
    public string? Uid { get; set; }

    public GroupVersionKind? Kind { get; set; }

    public GroupVersionResource? Resource { get; set; }

    public string? Name { get; set; }

    public string? Namespace { get; set; }

    public string? Operation { get; set; }

    public ReviewUser? UserInfo { get; set; }

    public JsonElement Object { get; set; }

    public JsonElement OldObject { get; set; }

    public bool DryRun { get; set; }
}

public sealed class GroupVersionKind
{
    public string? Group { get; set; }

    public string? Version { get; set; }

    public string? Kind { get; set; }
}

public sealed class GroupVersionResource
{
    public string? Group { get; set; }

    public string? Version { get; set; }

    public string? Resource { get; set; }
}

public sealed class ReviewUser
{
    public string? Username { get; set; }

    public List<string>? Groups { get; set; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Review))]
internal sealed partial class ReviewJson : JsonSerializerContext;
