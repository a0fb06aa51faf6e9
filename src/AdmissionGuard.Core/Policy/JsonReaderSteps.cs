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

    /// <summary>
    /// <see cref="NextString(ref Utf8JsonReader)"/> for a value that is almost always one of
    /// <paramref name="expected"/>: that instance is returned rather than a new string.
    /// </summary>
    public static string? NextString(ref Utf8JsonReader reader, params ReadOnlySpan<string?> expected)
    {
        reader.Read();
        return CurrentString(ref reader, expected);
    }

    /// <summary>The string the reader is on, as one of <paramref name="expected"/> when equal to it (no new string); else as read.</summary>
    public static string? CurrentString(ref Utf8JsonReader reader, params ReadOnlySpan<string?> expected)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return null;
        }

        foreach (var candidate in expected)
        {
            if (candidate is not null && reader.ValueTextEquals(candidate))
            {
                return candidate;
            }
        }

        return reader.GetString();
    }
}
