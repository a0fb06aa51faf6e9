using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using AdmissionGuard.Core.Decisions;

namespace AdmissionGuard.Admission;

/// <summary>Writes the AdmissionReview response: the request's uid, allowed, a 403 status on deny, warnings.</summary>
public static class AdmissionResponseWriter
{
    // Messages go to kubectl, not into HTML: no need to escape '<', '>' or quotes as \uXXXX.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(IBufferWriter<byte> output, string uid, Decision decision)
    {
        using var json = new Utf8JsonWriter(output, Options);
        json.WriteStartObject();
        json.WriteString("apiVersion", "admission.k8s.io/v1");
        json.WriteString("kind", "AdmissionReview");
        json.WriteStartObject("response");
        json.WriteString("uid", uid);
        json.WriteBoolean("allowed", decision.Allowed);
        if (!decision.Allowed)
        {
            json.WriteStartObject("status");
            json.WriteNumber("code", 403);
            json.WriteString("reason", "Forbidden");
            json.WriteString("message", decision.Message);
            json.WriteEndObject();
        }

        if (!decision.Warnings.IsEmpty)
        {
            json.WriteStartArray("warnings");
            foreach (var warning in decision.Warnings)
            {
                json.WriteStringValue(warning);
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }
}
