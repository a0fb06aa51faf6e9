using System.Buffers;
using System.Globalization;
using System.Text;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Serilog.Parsing;

namespace AdmissionGuard.Observability;

/// <summary>
/// Writes a log event as one compact JSON (CLEF) line in UTF-8: the bytes <see cref="CompactJsonFormatter"/>
/// writes, without a <see cref="TextWriter"/> between them and standard output.
/// </summary>
/// <remarks>
/// Decision events (strings, booleans, whole numbers and enums, no exception, no format specifiers) take a
/// direct path into one span sized for the worst case: formatting them through the text writer and its
/// encoder cost more than building the event. Any other event is formatted by <see cref="CompactJsonFormatter"/>
/// itself and then encoded, so the output never depends on which path an event took.
/// </remarks>
internal sealed class Utf8CompactJsonFormatter
{
    /// <summary>A character escaped as <c>\uXXXX</c>; no UTF-16 character takes more in UTF-8 either.</summary>
    private const int MaxBytesPerChar = 6;

    private static readonly SearchValues<char> NeedsEscape = SearchValues.Create(
        "\"\\\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f");

    private readonly CompactJsonFormatter _general = new();

    /// <summary>Appends the event and a line feed to <paramref name="output"/>.</summary>
    public void Format(LogEvent logEvent, IBufferWriter<byte> output)
    {
        if (!TryFormatDirect(logEvent, output))
        {
            FormatGeneral(logEvent, output);
        }
    }

    /// <summary>Writes the line if every part of the event is one the direct path writes exactly as the compact formatter does.</summary>
    internal static bool TryFormatDirect(LogEvent logEvent, IBufferWriter<byte> output)
    {
        // Events keep their properties in a dictionary; its own enumerator does not allocate.
        if (logEvent.Exception is not null || logEvent.Properties is not Dictionary<string, LogEventPropertyValue> properties)
        {
            return false;
        }

        if (logEvent.Level != LogEventLevel.Information && LevelName(logEvent.Level).IsEmpty)
        {
            return false; // a level outside the enum: the compact formatter writes its number
        }

        var template = logEvent.MessageTemplate;
        var capacity = 160 + (template.Text.Length * MaxBytesPerChar);
        foreach (var token in template.Tokens)
        {
            if (token is PropertyToken { Format: not null })
            {
                return false; // rendered into @r by the compact formatter
            }
        }

        foreach (var (name, value) in properties)
        {
            var length = value is ScalarValue { Value: var scalar } ? ScalarLength(scalar) : -1;
            if (length < 0)
            {
                return false;
            }

            capacity += 5 + ((name.Length + length) * MaxBytesPerChar);
        }

        var line = new Line(output.GetSpan(capacity));
        line.Put("{\"@t\":\""u8);
        line.Put(logEvent.Timestamp.UtcDateTime);
        line.Put("\",\"@mt\":"u8);
        line.PutQuoted(template.Text);
        if (logEvent.Level != LogEventLevel.Information)
        {
            line.Put(",\"@l\":\""u8);
            line.Put(LevelName(logEvent.Level));
            line.Put("\""u8);
        }

        Span<byte> id = stackalloc byte[16];
        if (logEvent.TraceId is { } traceId)
        {
            traceId.CopyTo(id);
            line.PutHexField(",\"@tr\":\""u8, id);
        }

        if (logEvent.SpanId is { } spanId)
        {
            spanId.CopyTo(id[..8]);
            line.PutHexField(",\"@sp\":\""u8, id[..8]);
        }

        foreach (var (name, value) in properties)
        {
            line.Put(","u8);
            if (name.StartsWith('@'))
            {
                line.Put("\"@"u8); // a leading @ is doubled, so it cannot be read as a reserved field
                line.PutQuoted(name, openingQuote: false);
            }
            else
            {
                line.PutQuoted(name);
            }

            line.Put(":"u8);
            line.PutScalar(((ScalarValue)value).Value);
        }

        line.Put("}\n"u8);
        output.Advance(line.Written);
        return true;
    }

    /// <summary>Characters the value takes before escaping, or -1 for a value only the compact formatter writes.</summary>
    private static int ScalarLength(object? value) => value switch
    {
        null => 4,
        string text => text.Length + 2,
        bool => 5,
        int or long => 20,
        Enum => value.ToString()!.Length + 2,
        _ => -1,
    };

    private void FormatGeneral(LogEvent logEvent, IBufferWriter<byte> output)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        _general.Format(logEvent, text);

        // Encoded whole: a surrogate pair can straddle two of the builder's chunks.
        Encoding.UTF8.GetBytes(text.ToString(), output);
    }

    private static ReadOnlySpan<byte> LevelName(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose => "Verbose"u8,
        LogEventLevel.Debug => "Debug"u8,
        LogEventLevel.Warning => "Warning"u8,
        LogEventLevel.Error => "Error"u8,
        LogEventLevel.Fatal => "Fatal"u8,
        _ => default,
    };

    /// <summary>One line being written into a span already large enough for it.</summary>
    private ref struct Line(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;

        public int Written { get; private set; }

        public void Put(scoped ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_buffer[Written..]);
            Written += bytes.Length;
        }

        public void Put(DateTime utc)
        {
            utc.TryFormat(_buffer[Written..], out var written, "O", CultureInfo.InvariantCulture);
            Written += written;
        }

        /// <summary>A field holding a trace or span id in lower-case hex, as <c>ToHexString</c> writes it.</summary>
        public void PutHexField(scoped ReadOnlySpan<byte> opening, scoped ReadOnlySpan<byte> id)
        {
            Put(opening);
            Convert.TryToHexStringLower(id, _buffer[Written..], out var written);
            Written += written;
            Put("\""u8);
        }

        public void PutScalar(object? value)
        {
            switch (value)
            {
                case null:
                    Put("null"u8);
                    break;
                case string text:
                    PutQuoted(text);
                    break;
                case bool flag:
                    Put(flag ? "true"u8 : "false"u8);
                    break;
                case int number:
                    number.TryFormat(_buffer[Written..], out var intLength, default, CultureInfo.InvariantCulture);
                    Written += intLength;
                    break;
                case long number:
                    number.TryFormat(_buffer[Written..], out var longLength, default, CultureInfo.InvariantCulture);
                    Written += longLength;
                    break;
                default:
                    PutQuoted(value.ToString());
                    break;
            }
        }

        /// <summary>A JSON string as Serilog's JSON value formatter escapes it: quote, backslash and control characters only.</summary>
        public void PutQuoted(scoped ReadOnlySpan<char> text, bool openingQuote = true)
        {
            if (openingQuote)
            {
                Put("\""u8);
            }

            while (true)
            {
                var escape = text.IndexOfAny(NeedsEscape);
                var clean = escape < 0 ? text : text[..escape];
                Written += Encoding.UTF8.GetBytes(clean, _buffer[Written..]);
                if (escape < 0)
                {
                    break;
                }

                PutEscaped(text[escape]);
                text = text[(escape + 1)..];
            }

            Put("\""u8);
        }

        private void PutEscaped(char c)
        {
            var named = c switch
            {
                '"' => "\\\""u8,
                '\\' => "\\\\"u8,
                '\n' => "\\n"u8,
                '\r' => "\\r"u8,
                '\f' => "\\f"u8,
                '\t' => "\\t"u8,
                _ => default,
            };
            if (!named.IsEmpty)
            {
                Put(named);
                return;
            }

            Put("\\u"u8);
            ((int)c).TryFormat(_buffer[Written..], out var written, "X4", CultureInfo.InvariantCulture);
            Written += written;
        }
    }
}
