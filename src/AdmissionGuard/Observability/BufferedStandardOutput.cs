using System.Buffers;
using Serilog;
using Serilog.Configuration;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace AdmissionGuard.Observability;

/// <summary>
/// Writes batches of log events (the audit trail among them) to standard output with one flush per
/// batch. The console sink writes and flushes every line under a lock on the request's thread; on the
/// <c>/validate</c> path that write cost as much as the whole decision. Serilog's batching queue hands
/// this sink the events a background task collected; a normal shutdown flushes them. Standard output
/// itself stays open for whatever writes last.
/// </summary>
internal sealed class BufferedStandardOutput(Stream output) : IBatchedLogEventSink
{
    /// <summary>Written out before it grows further, so a large batch does not hold a large buffer.</summary>
    private const int FlushAtBytes = 64 * 1024;

    private readonly Utf8CompactJsonFormatter _formatter = new();
    private readonly ArrayBufferWriter<byte> _lines = new(FlushAtBytes * 2);

    public async Task EmitBatchAsync(IReadOnlyCollection<LogEvent> batch)
    {
        foreach (var logEvent in batch)
        {
            _formatter.Format(logEvent, _lines);
            if (_lines.WrittenCount >= FlushAtBytes)
            {
                await WriteLinesAsync();
            }
        }

        await WriteLinesAsync();
        await output.FlushAsync();
    }

    public Task OnEmptyBatchAsync() => Task.CompletedTask;

    private async Task WriteLinesAsync()
    {
        await output.WriteAsync(_lines.WrittenMemory);
        _lines.ResetWrittenCount();
    }
}

internal static class StandardOutputLogging
{
    /// <summary>Compact JSON lines on standard output: buffered up to <paramref name="flushInterval"/>, or written one by one when it is zero.</summary>
    public static LoggerConfiguration StandardOutput(this LoggerSinkConfiguration sinks, TimeSpan flushInterval) =>
        flushInterval <= TimeSpan.Zero
            ? sinks.Console(new CompactJsonFormatter())
            : sinks.Sink(
                new BufferedStandardOutput(Console.OpenStandardOutput()),
                new BatchingOptions { BufferingTimeLimit = flushInterval, BatchSizeLimit = 1000, EagerlyEmitFirstEvent = true });
}
