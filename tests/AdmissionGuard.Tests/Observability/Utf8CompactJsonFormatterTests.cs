using System.Buffers;
using System.Diagnostics;
using System.Text;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Observability;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Serilog.Parsing;

namespace AdmissionGuard.Tests.Observability;

/// <summary>Log lines on standard output are exactly the bytes Serilog's compact JSON formatter writes, whichever path formats them.</summary>
public class Utf8CompactJsonFormatterTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 27, 9, 54, 28, 930, TimeSpan.FromHours(2));

    public static TheoryData<string, LogEvent, bool> Events => new()
    {
        { "a decision, with trace and span", Event(LogEventLevel.Information, "{Result} {Operation} {Namespace}/{Name}", traced: true,
            ("Uid", "5f0c3a52"), ("Operation", Operation.Update), ("Namespace", "team-025"), ("Name", "svc-02500"), ("Allowed", true),
            ("DryRun", false), ("Mode", GuardMode.Enforce), ("Detail", "")), true },
        { "a break-glass warning without a trace", Event(LogEventLevel.Warning, "Break-glass: {Operation}", traced: false, ("Operation", Operation.Delete)), true },
        { "every escape and non-ASCII text", Event(LogEventLevel.Information, "quote \" and {Detail}", traced: false,
            ("Detail", "line\nnext\r\ttab \\ \"q\" \b \f \u0001 \u001f é ✓ 🚀 <&> \ud800 end")), true },
        { "a long value that is all escapes", Event(LogEventLevel.Information, "{Detail}", traced: true,
            ("Detail", new string('\u0001', 3000) + new string('"', 3000) + new string('é', 3000))), true },
        { "names starting with @, nulls and numbers", Event(LogEventLevel.Error, "{@Shape}", traced: false,
            ("@Shape", "circle"), ("Missing", null), ("Count", 42), ("Big", -9_000_000_000L)), true },
        { "every level name", Event(LogEventLevel.Fatal, "m", traced: false), true },
        { "a level outside the enum (general path)", Event((LogEventLevel)99, "m", traced: false), false },
        { "a structure (general path)", new LogEvent(At, LogEventLevel.Information, null, new MessageTemplateParser().Parse("{Id}"),
            [new LogEventProperty("EventId", new StructureValue([new LogEventProperty("Id", new ScalarValue(14)), new LogEventProperty("Name", new ScalarValue("Listening"))]))]), false },
        { "an exception (general path)", new LogEvent(At, LogEventLevel.Error, new InvalidOperationException("broken \"here\""), new MessageTemplateParser().Parse("failed"), []), false },
        { "a format specifier (general path)", Event(LogEventLevel.Information, "took {Seconds:0.00}s", traced: false, ("Seconds", 1.23456)), false },
        { "a double (general path)", Event(LogEventLevel.Information, "m", traced: false, ("Seconds", 0.1)), false },
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void Writes_the_bytes_of_the_compact_formatter(string because, LogEvent logEvent, bool direct)
    {
        var expected = new StringWriter();
        new CompactJsonFormatter().Format(logEvent, expected);
        var output = new ArrayBufferWriter<byte>();

        new Utf8CompactJsonFormatter().Format(logEvent, output);

        Assert.Equal(direct, Utf8CompactJsonFormatter.TryFormatDirect(logEvent, new ArrayBufferWriter<byte>()));
        Assert.True(
            Encoding.UTF8.GetBytes(expected.ToString()).AsSpan().SequenceEqual(output.WrittenSpan),
            $"{because}:\n{expected}{Encoding.UTF8.GetString(output.WrittenSpan)}");
    }

    /// <summary>The general path encodes the compact formatter's text whole: a surrogate pair can straddle two of its chunks.</summary>
    [Fact]
    public void Characters_beyond_the_BMP_survive_the_general_path_wherever_they_fall()
    {
        var failing = new List<int>();
        for (var pad = 0; pad < 300; pad++)
        {
            var logEvent = new LogEvent(At, LogEventLevel.Warning, null, new MessageTemplateParser().Parse("Bad admission request from {RemoteAddress}: {Problem}"), [
                new LogEventProperty("RemoteAddress", new ScalarValue("10.0.0.1")),
                new LogEventProperty("Problem", new ScalarValue(new string('x', pad) + "🚀")),
                new LogEventProperty("EventId", new StructureValue([new LogEventProperty("Id", new ScalarValue(2))])),
            ]);
            var expected = new StringWriter();
            new CompactJsonFormatter().Format(logEvent, expected);
            var output = new ArrayBufferWriter<byte>();

            new Utf8CompactJsonFormatter().Format(logEvent, output);

            if (!Encoding.UTF8.GetBytes(expected.ToString()).AsSpan().SequenceEqual(output.WrittenSpan))
            {
                failing.Add(pad);
            }
        }

        Assert.Empty(failing);
    }

    [Fact]
    public void Appends_line_after_line()
    {
        var formatter = new Utf8CompactJsonFormatter();
        var output = new ArrayBufferWriter<byte>();

        formatter.Format(Event(LogEventLevel.Information, "one", traced: false), output);
        formatter.Format(new LogEvent(At, LogEventLevel.Information, new InvalidOperationException("x"), new MessageTemplateParser().Parse("two"), []), output);

        var lines = Encoding.UTF8.GetString(output.WrittenSpan).Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Contains("\"@mt\":\"one\"", lines[0]);
        Assert.Contains("\"@mt\":\"two\"", lines[1]);
        Assert.Equal("", lines[2]);
    }

    private static LogEvent Event(LogEventLevel level, string template, bool traced, params (string Name, object? Value)[] properties) =>
        new(At, level, null, new MessageTemplateParser().Parse(template),
            [.. properties.Select(property => new LogEventProperty(property.Name, new ScalarValue(property.Value)))],
            traced ? ActivityTraceId.CreateFromString("35831a74c3617632e2dcf167839aa8f7") : default,
            traced ? ActivitySpanId.CreateFromString("62ba6df58ecd3071") : default);
}
