using System.Text;
using Serilog;
using Serilog.Configuration;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;

namespace AdmissionGuard.Observability;

/// <summary>
/// Writes batches of log events (the audit trail among them) to standard output with one flush per
/// batch. The console sink writes and flushes every line under a lock on the request's thread; on the
/// <c>/validate</c> path that write cost as much as the whole decision. Serilog's batching queue hands
/// this sink the events a background task collected; a normal shutdown flushes them. Standard output
/// itself stays open for whatever writes last.
/// </summary>
internal sealed class BufferedStandardOutput(ITextFormatter formatter, Stream output) : IBatchedLogEventSink, IDisposable
{
    private readonly StreamWriter _writer = new(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 64 * 1024, leaveOpen: true);

    public async Task EmitBatchAsync(IReadOnlyCollection<LogEvent> batch)
    {
        foreach (var logEvent in batch)
        {
            formatter.Format(logEvent, _writer);
        }

        await _writer.FlushAsync();
    }

    public Task OnEmptyBatchAsync() => Task.CompletedTask;

    public void Dispose() => _writer.Dispose();
}

internal static class StandardOutputLogging
{
    /// <summary>Compact JSON lines on standard output: buffered up to <paramref name="flushInterval"/>, or written one by one when it is zero.</summary>
    public static LoggerConfiguration StandardOutput(this LoggerSinkConfiguration sinks, TimeSpan flushInterval) =>
        flushInterval <= TimeSpan.Zero
            ? sinks.Console(new CompactJsonFormatter())
            : sinks.Sink(
                new BufferedStandardOutput(new CompactJsonFormatter(), Console.OpenStandardOutput()),
                new BatchingOptions { BufferingTimeLimit = flushInterval, BatchSizeLimit = 1000, EagerlyEmitFirstEvent = true });
}
