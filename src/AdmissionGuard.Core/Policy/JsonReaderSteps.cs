using System.Text.Json;

namespace AdmissionGuard.Core.Policy;

/// <summary>Steps of a forward-only read that both the review and its policies take.</summary>
public static class JsonReaderSteps
{
    /// <summary>The next value if it is a string, else null, the value skipped whatever its shape.</summary>
    public static string? NextString(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        reader.Skip();
        return null;
    }
}
