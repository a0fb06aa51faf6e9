using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using AdmissionGuard.Core.Decisions;

namespace AdmissionGuard.Admission;

/// <summary>Writes the AdmissionReview response: the request's uid, allowed, a 403 status on deny, warnings.</summary>
public static class AdmissionResponseWriter
{
    // Messages go to kubectl, not into HTML: no need to escape '<', '>' or quotes as \uXXXX.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(IBufferWriter<byte> output, string uid, Decision decision)
    {
        var review = new ResponseReview(new Response(
            uid,
            decision.Allowed,
            decision.Allowed ? null : new ResponseStatus(403, "Forbidden", decision.Message),
            decision.Warnings.IsEmpty ? null : decision.Warnings));
        using var json = new Utf8JsonWriter(output, Options);
        JsonSerializer.Serialize(json, review, AdmissionResponseJson.Default.ResponseReview);
    }
}

/// <summary>An <c>admission.k8s.io/v1</c> AdmissionReview carrying only the response, as webhooks answer.</summary>
internal readonly record struct ResponseReview(Response Response)
{
    [JsonPropertyOrder(-2)]
    public string ApiVersion => "admission.k8s.io/v1";

    [JsonPropertyOrder(-1)]
    public string Kind => "AdmissionReview";
}

internal readonly record struct Response(string Uid, bool Allowed, ResponseStatus? Status, IReadOnlyList<string>? Warnings);

internal readonly record struct ResponseStatus(int Code, string Reason, string Message);

/// <summary>
/// Source-generated serialisation (no reflection, writes straight to the <see cref="Utf8JsonWriter"/>); the
/// structs keep the allow path free of allocations besides the writer.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(ResponseReview))]
internal sealed partial class AdmissionResponseJson : JsonSerializerContext;
