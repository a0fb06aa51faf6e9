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
/// Decision events (strings, booleans, numbers and enums, no exception, no format specifiers) take a direct
/// path: formatting them through the text writer and its encoder cost more than building the event. Any
/// other event is formatted by <see cref="CompactJsonFormatter"/> itself and then encoded, so the output
/// never depends on which path an event took. Not thread-safe: each sink has its own.
/// </remarks>
internal sealed class Utf8CompactJsonFormatter
{
    private static readonly SearchValues<char> NeedsEscape = SearchValues.Create(
        "\"\\\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f");

    private readonly CompactJsonFormatter _general = new();
    private MessageTemplate? _lastPlainTemplate;

    /// <summary>Appends the event and a line feed to <paramref name="output"/>.</summary>
    public void Format(LogEvent logEvent, IBufferWriter<byte> output)
    {
        if (!HasDirectPath(logEvent))
        {
            FormatGeneral(logEvent, output);
            return;
        }

        Write("{\"@t\":\""u8, output);
        var span = output.GetSpan(40);
        logEvent.Timestamp.UtcDateTime.TryFormat(span, out var written, "O", CultureInfo.InvariantCulture);
        output.Advance(written);
        Write("\",\"@mt\":"u8, output);
        WriteQuoted(logEvent.MessageTemplate.Text, output);
        if (logEvent.Level != LogEventLevel.Information)
        {
            Write(",\"@l\":\""u8, output);
            Write(LevelName(logEvent.Level), output);
            Write("\""u8, output);
        }

        if (logEvent.TraceId is { } traceId)
        {
            Write(",\"@tr\":\""u8, output);
            Span<byte> id = stackalloc byte[16];
            traceId.CopyTo(id);
            WriteHex(id, output);
            Write("\""u8, output);
        }

        if (logEvent.SpanId is { } spanId)
        {
            Write(",\"@sp\":\""u8, output);
            Span<byte> id = stackalloc byte[8];
            spanId.CopyTo(id);
            WriteHex(id, output);
            Write("\""u8, output);
        }

        foreach (var (name, value) in (Dictionary<string, LogEventPropertyValue>)logEvent.Properties)
        {
            Write(","u8, output);
            WriteQuoted(name.StartsWith('@') ? "@" + name : name, output);
            Write(":"u8, output);
            WriteScalar(((ScalarValue)value).Value, output);
        }

        Write("}\n"u8, output);
    }

    /// <summary>Whether every part of the event is one the direct path writes exactly as the compact formatter does.</summary>
    internal bool HasDirectPath(LogEvent logEvent)
    {
        // Events keep their properties in a dictionary; its own enumerator does not allocate.
        if (logEvent.Exception is not null || !IsPlain(logEvent.MessageTemplate) || logEvent.Properties is not Dictionary<string, LogEventPropertyValue> properties)
        {
            return false;
        }

        foreach (var value in properties.Values)
        {
            if (!IsDirect(value))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsDirect(LogEventPropertyValue value) =>
        value is ScalarValue scalar && (scalar.Value is null or string or bool or int or long || scalar.Value.GetType().IsEnum);

    /// <summary>No format specifiers (which the compact formatter renders into <c>@r</c>); the last plain template is remembered.</summary>
    private bool IsPlain(MessageTemplate template)
    {
        if (ReferenceEquals(template, _lastPlainTemplate))
        {
            return true;
        }

        foreach (var token in template.Tokens)
        {
            if (token is PropertyToken { Format: not null })
            {
                return false;
            }
        }

        _lastPlainTemplate = template;
        return true;
    }

    private void FormatGeneral(LogEvent logEvent, IBufferWriter<byte> output)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        _general.Format(logEvent, text);
        foreach (var chunk in text.GetStringBuilder().GetChunks())
        {
            Encoding.UTF8.GetBytes(chunk.Span, output);
        }
    }

    private static void WriteScalar(object? value, IBufferWriter<byte> output)
    {
        switch (value)
        {
            case null:
                Write("null"u8, output);
                break;
            case string text:
                WriteQuoted(text, output);
                break;
            case bool flag:
                Write(flag ? "true"u8 : "false"u8, output);
                break;
            case int number:
                output.Advance(number.TryFormat(output.GetSpan(11), out var intLength, default, CultureInfo.InvariantCulture) ? intLength : 0);
                break;
            case long number:
                output.Advance(number.TryFormat(output.GetSpan(20), out var longLength, default, CultureInfo.InvariantCulture) ? longLength : 0);
                break;
            default:
                WriteQuoted(value.ToString() ?? "", output);
                break;
        }
    }

    /// <summary>A JSON string as Serilog's JSON value formatter escapes it: quote, backslash and control characters only.</summary>
    private static void WriteQuoted(string text, IBufferWriter<byte> output)
    {
        Write("\""u8, output);
        var rest = text.AsSpan();
        while (true)
        {
            var escape = rest.IndexOfAny(NeedsEscape);
            var clean = escape < 0 ? rest : rest[..escape];
            if (!clean.IsEmpty)
            {
                Encoding.UTF8.GetBytes(clean, output);
            }

            if (escape < 0)
            {
                break;
            }

            WriteEscaped(rest[escape], output);
            rest = rest[(escape + 1)..];
        }

        Write("\""u8, output);
    }

    private static void WriteEscaped(char c, IBufferWriter<byte> output)
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
            output.Write(named);
            return;
        }

        var span = output.GetSpan(6);
        "\\u"u8.CopyTo(span);
        ((int)c).TryFormat(span[2..], out _, "X4", CultureInfo.InvariantCulture);
        output.Advance(6);
    }

    private static ReadOnlySpan<byte> LevelName(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose => "Verbose"u8,
        LogEventLevel.Debug => "Debug"u8,
        LogEventLevel.Warning => "Warning"u8,
        LogEventLevel.Error => "Error"u8,
        LogEventLevel.Fatal => "Fatal"u8,
        _ => "Information"u8,
    };

    /// <summary>A trace or span id in lower-case hex, as <c>ToHexString</c> writes it, without the string.</summary>
    private static void WriteHex(ReadOnlySpan<byte> id, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(id.Length * 2);
        Convert.TryToHexStringLower(id, span, out var written);
        output.Advance(written);
    }

    private static void Write(ReadOnlySpan<byte> bytes, IBufferWriter<byte> output) => output.Write(bytes);
}
