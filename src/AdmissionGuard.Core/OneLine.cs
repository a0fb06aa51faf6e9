using System.Buffers;
using System.Globalization;
using System.Text;

namespace AdmissionGuard.Core;

/// <summary>
/// Input echoed in a one-line message (a field name, a value, a file path): line breaks and other control
/// characters become escapes (<c>\n</c>, <c>\r</c>, <c>\t</c>, <c>\u001b</c>), so a 400 reason, a log line or a
/// CLI error stays one line and shows what the input held. Backslashes are kept: escaping twice changes nothing.
/// </summary>
public static class OneLine
{
    private static readonly SearchValues<char> Escaped = SearchValues.Create(
        string.Concat(Enumerable.Range(0, 0x20).Append(0x7F).Concat(Enumerable.Range(0x80, 0x20)).Append(0x2028).Append(0x2029).Select(c => (char)c)));

    public static string Escape(string text)
    {
        var at = text.AsSpan().IndexOfAny(Escaped);
        if (at < 0)
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 8).Append(text, 0, at);
        foreach (var c in text.AsSpan(at))
        {
            _ = c switch
            {
                '\n' => escaped.Append("\\n"),
                '\r' => escaped.Append("\\r"),
                '\t' => escaped.Append("\\t"),
                _ when Escaped.Contains(c) => escaped.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                _ => escaped.Append(c),
            };
        }

        return escaped.ToString();
    }
}
