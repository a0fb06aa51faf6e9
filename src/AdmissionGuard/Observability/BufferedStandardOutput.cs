using System.Buffers;
using Serilog;
using Serilog.Configuration;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace AdmissionGuard.Observability;

/// <summary>
/// Log lines (the audit trail among them) for standard output: each event is formatted when it is
/// emitted, into a buffer that a background thread writes out every flush interval, or as soon as
/// 64 KiB are waiting. Disposing writes what is left; standard output itself stays open for whatever
/// writes last.
/// </summary>
/// <remarks>
/// The console sink writes and flushes every line under a lock on the request's thread: on the
/// <c>/validate</c> path that write cost as much as the whole decision. A queue of events (Serilog's
/// batching sink) moves the write off that path but keeps every event alive until its batch is written,
/// long enough to be promoted by the garbage collector; here only bytes wait. If standard output blocks
/// and <see cref="MaxPendingBytes"/> are waiting, emitting waits too: lines are delayed, never dropped.
/// </remarks>
internal sealed class BufferedStandardOutput : ILogEventSink, IDisposable
{
    public const int MaxPendingBytes = 16 * 1024 * 1024;
    private const int WriteAtBytes = 64 * 1024;

    /// <summary>A buffer that grew past this while stdout was blocked is not kept once it has been written.</summary>
    private const int KeepBufferBytes = 4 * WriteAtBytes;

    private readonly Stream _output;
    private readonly TimeSpan _flushInterval;
    private readonly int _maxPendingBytes;
    private readonly Utf8CompactJsonFormatter _formatter = new();
    private readonly object _gate = new();
    private readonly Thread _writer;
    private ArrayBufferWriter<byte> _pending = new(WriteAtBytes * 2);
    private ArrayBufferWriter<byte> _spare = new(WriteAtBytes * 2);
    private bool _stopping;
    private bool _writerStopped;

    public BufferedStandardOutput(Stream output, TimeSpan flushInterval, int maxPendingBytes = MaxPendingBytes)
    {
        (_output, _flushInterval, _maxPendingBytes) = (output, flushInterval, maxPendingBytes);
        _writer = new Thread(WriteUntilStopped) { IsBackground = true, Name = "Log writer" };
        _writer.Start();
    }

    public void Emit(LogEvent logEvent)
    {
        lock (_gate)
        {
            while (_pending.WrittenCount >= _maxPendingBytes && !_stopping)
            {
                Monitor.Wait(_gate);
            }

            _formatter.Format(logEvent, _pending);
            if (_writerStopped)
            {
                // Emitted after disposal (the host's last words): written at once.
                WriteOut(_pending);
            }
            else if (_pending.WrittenCount >= WriteAtBytes)
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        _writer.Join();
        lock (_gate)
        {
            // Lines emitted after the writer took its last batch.
            _writerStopped = true;
            WriteOut(_pending);
        }
    }

    private void WriteUntilStopped()
    {
        var stopped = false;
        while (!stopped)
        {
            ArrayBufferWriter<byte> lines;
            lock (_gate)
            {
                if (!_stopping && _pending.WrittenCount < WriteAtBytes)
                {
                    Monitor.Wait(_gate, _flushInterval);
                }

                // Emitters fill the spare buffer while this one is written, outside the lock.
                (lines, _pending, _spare) = (_pending, _spare, _pending);
                stopped = _stopping;
                Monitor.PulseAll(_gate);
            }

            WriteOut(lines);
            if (lines.Capacity > KeepBufferBytes)
            {
                lock (_gate)
                {
                    _spare = new ArrayBufferWriter<byte>(WriteAtBytes * 2);
                }
            }
        }
    }

    /// <summary>Bytes the two buffers hold on to (tests: a stall must not keep its memory).</summary>
    internal int BufferCapacity
    {
        get
        {
            lock (_gate)
            {
                return _pending.Capacity + _spare.Capacity;
            }
        }
    }

    private void WriteOut(ArrayBufferWriter<byte> lines)
    {
        if (lines.WrittenCount == 0)
        {
            return;
        }

        try
        {
            _output.Write(lines.WrittenSpan);
            _output.Flush();
        }
        catch (Exception)
        {
            // Whatever the stream throws, the writer must outlive it, since emitters wait for it. Nothing
            // else can report a broken standard output; the decisions themselves still stand.
        }

        lines.ResetWrittenCount();
    }
}

internal static class StandardOutputLogging
{
    /// <summary>Compact JSON lines on standard output: buffered up to <paramref name="flushInterval"/>, or written one by one when it is zero.</summary>
    public static LoggerConfiguration StandardOutput(this LoggerSinkConfiguration sinks, TimeSpan flushInterval) =>
        flushInterval <= TimeSpan.Zero
            ? sinks.Console(new CompactJsonFormatter())
            : sinks.Sink(new BufferedStandardOutput(Console.OpenStandardOutput(), flushInterval));
}
