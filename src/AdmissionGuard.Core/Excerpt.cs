using System.Buffers;
using System.Text;

namespace AdmissionGuard.Core;

/// <summary>
/// Text taken from a request or a file into a message, a log line or an HTTP answer. Anyone who can reach the
/// webhook port controls that text, so it is cut (<c>…(N more)</c>) and control characters are escaped: one
/// hostile value can neither grow an answer to megabytes nor split it into lines.
/// </summary>
public static class Excerpt
{
    /// <summary>Enough for any name, label or value the API server accepts to be shown whole in most messages.</summary>
    public const int DefaultLength = 100;

    // C0 and C1 controls, DEL, line and paragraph separators, and the bidirectional overrides that can make a
    // terminal show text in another order than it is read.
    private static readonly SearchValues<char> Escaped = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"
        + "\u007f\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008a\u008b\u008c\u008d\u008e\u008f"
        + "\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009a\u009b\u009c\u009d\u009e\u009f"
        + "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069");

    private static readonly SearchValues<char> EscapedInQuotes = SearchValues.Create(
        "\"\\\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"
        + "\u007f\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008a\u008b\u008c\u008d\u008e\u008f"
        + "\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009a\u009b\u009c\u009d\u009e\u009f"
        + "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069");

    /// <summary>At most <paramref name="maxLength"/> characters of <paramref name="text"/>, then <c>…(N more)</c>; controls escaped.</summary>
    /// <remarks>Returns <paramref name="text"/> itself when there is nothing to cut or escape, which is almost always.</remarks>
    public static string Of(string? text, int maxLength = DefaultLength) => Write(text ?? "", maxLength, Escaped, quoted: false);

    /// <summary>As <see cref="Of"/>, in double quotes, with quotes and backslashes escaped as Go's <c>%q</c> does.</summary>
    public static string Quoted(string? text, int maxLength = DefaultLength) => Write(text ?? "", maxLength, EscapedInQuotes, quoted: true);

    /// <summary>One line of at most <paramref name="maxBytes"/> UTF-8 bytes: controls escaped, the rest cut with <c>…(N more)</c>.</summary>
    public static string Line(string text, int maxBytes)
    {
        // Every character is at least one byte, so no more than maxBytes of them can be shown.
        var line = Of(text, maxBytes);
        if (Encoding.UTF8.GetByteCount(line) <= maxBytes)
        {
            return line;
        }

        // The most characters whose excerpt, escapes and marker included, still fits.
        var (fits, tooMany) = (0, maxBytes);
        while (tooMany - fits > 1)
        {
            var middle = (fits + tooMany) / 2;
            (fits, tooMany) = Encoding.UTF8.GetByteCount(Of(text, middle)) <= maxBytes ? (middle, tooMany) : (fits, middle);
        }

        return Of(text, fits);
    }

    private static string Write(string text, int maxLength, SearchValues<char> escaped, bool quoted)
    {
        if (text.Length <= maxLength && text.AsSpan().IndexOfAny(escaped) < 0)
        {
            return quoted ? "\"" + text + "\"" : text;
        }

        var shown = NotSplitting(text, Math.Min(text.Length, maxLength));
        var result = new StringBuilder(Math.Min(text.Length, maxLength) + 24);
        if (quoted)
        {
            result.Append('"');
        }

        foreach (var c in text.AsSpan(0, shown))
        {
            AppendEscaped(result, c, quoted);
        }

        if (quoted)
        {
            result.Append('"');
        }

        if (shown < text.Length)
        {
            result.Append(More(text.Length - shown));
        }

        return result.ToString();
    }

    private static void AppendEscaped(StringBuilder result, char c, bool quoted)
    {
        switch (c)
        {
            case '\n':
                result.Append("\\n");
                break;
            case '\r':
                result.Append("\\r");
                break;
            case '\t':
                result.Append("\\t");
                break;
            case '"' when quoted:
                result.Append("\\\"");
                break;
            case '\\' when quoted:
                result.Append("\\\\");
                break;
            default:
                if (Escaped.Contains(c))
                {
                    result.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                }
                else
                {
                    result.Append(c);
                }

                break;
        }
    }

    private static string More(int count) => $"…({count} more)";

    /// <summary>A cut at <paramref name="length"/>, one character earlier if it would split a surrogate pair.</summary>
    private static int NotSplitting(string text, int length) =>
        length > 0 && length < text.Length && char.IsHighSurrogate(text[length - 1]) ? length - 1 : length;
}
