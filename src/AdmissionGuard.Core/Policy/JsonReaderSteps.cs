using System.Text.Json;

namespace AdmissionGuard.Core.Policy;

/// <summary>Steps of a forward-only read that both the review and its policies take.</summary>
public static class JsonReaderSteps
{
    /// <summary>Room for a label or annotation key as Kubernetes allows it: a 253-character prefix, '/', a 63-character name.</summary>
    public const int KeyTextLength = 320;

    /// <summary>
    /// The text of the string or property name the reader is on, unescaped into <paramref name="buffer"/>, or read as
    /// <paramref name="asString"/> when it is longer. Either way it must be valid Unicode, as for GetString.
    /// </summary>
    public static ReadOnlySpan<char> Text(scoped in Utf8JsonReader reader, Span<char> buffer, out string? asString)
    {
        // The raw text is never shorter than the unescaped one.
        asString = reader.ValueSpan.Length > buffer.Length ? reader.GetString()! : null;
        return asString is null ? buffer[..reader.CopyString(buffer)] : asString;
    }

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
