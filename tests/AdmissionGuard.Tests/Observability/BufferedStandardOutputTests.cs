using System.Text;
using AdmissionGuard.Observability;
using Serilog.Events;
using Serilog.Parsing;

namespace AdmissionGuard.Tests.Observability;

/// <summary>Buffered log lines: none lost, none reordered, none held past disposal, and a blocked stdout holds emitters back.</summary>
public sealed class BufferedStandardOutputTests
{
    private static readonly MessageTemplate Numbered = new MessageTemplateParser().Parse("line {Number}");

    [Fact]
    public void Every_line_is_written_in_order_by_the_time_it_is_disposed()
    {
        var output = new RecordingStream();
        var sink = new BufferedStandardOutput(output, TimeSpan.FromHours(1));

        for (var number = 0; number < 3000; number++)
        {
            sink.Emit(Line(number));
        }

        // Waited for, not counted after disposal: a writer thread not yet scheduled would leave it all to Dispose.
        var writtenBeforeTheInterval = output.WaitForWrite(TimeSpan.FromSeconds(10));
        sink.Dispose();

        Assert.True(writtenBeforeTheInterval, "more than 64 KiB waiting is written before the interval ends");
        Assert.Equal(Enumerable.Range(0, 3000), output.Numbers());
    }

    [Fact]
    public void A_line_waits_for_the_interval_not_for_disposal()
    {
        var output = new RecordingStream();
        using var sink = new BufferedStandardOutput(output, TimeSpan.FromMilliseconds(20));

        sink.Emit(Line(7));

        Assert.True(output.WaitForWrite(TimeSpan.FromSeconds(10)), "the line was not written within the interval");
        Assert.Equal([7], output.Numbers());
    }

    [Fact]
    public void A_line_is_held_until_the_interval_ends()
    {
        var output = new RecordingStream();
        var sink = new BufferedStandardOutput(output, TimeSpan.FromHours(1));

        sink.Emit(Line(1));

        Assert.False(output.WaitForWrite(TimeSpan.FromMilliseconds(300)));
        sink.Dispose();
        Assert.Equal([1], output.Numbers());
    }

    [Fact]
    public async Task A_blocked_stdout_makes_emitters_wait_and_loses_nothing()
    {
        var output = new RecordingStream { Blocked = true };
        var sink = new BufferedStandardOutput(output, TimeSpan.FromMilliseconds(10), maxPendingBytes: 1024);

        var emitting = Task.Run(() =>
        {
            for (var number = 0; number < 200; number++)
            {
                sink.Emit(Line(number));
            }
        });

        Assert.NotSame(emitting, await Task.WhenAny(emitting, Task.Delay(300)));
        output.Blocked = false;
        await emitting.WaitAsync(TimeSpan.FromSeconds(10));
        sink.Dispose();
        Assert.Equal(Enumerable.Range(0, 200), output.Numbers());
    }

    [Fact]
    public void Memory_a_stall_took_is_given_back_once_stdout_drains()
    {
        var output = new RecordingStream { Blocked = true };
        using var sink = new BufferedStandardOutput(output, TimeSpan.FromMilliseconds(10));
        var filler = new string('x', 1000);
        for (var number = 0; number < 3000; number++)
        {
            sink.Emit(new LogEvent(DateTimeOffset.UnixEpoch, LogEventLevel.Information, null, Numbered, [
                new LogEventProperty("Number", new ScalarValue(number)), new LogEventProperty("Filler", new ScalarValue(filler))]));
        }

        var stalled = sink.BufferCapacity;
        output.Blocked = false;
        sink.Emit(Line(3000));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!output.Numbers().Contains(3000) && DateTime.UtcNow < deadline)
        {
            output.WaitForWrite(TimeSpan.FromMilliseconds(100));
        }

        sink.Emit(Line(3001));
        while (!output.Numbers().Contains(3001) && DateTime.UtcNow < deadline)
        {
            output.WaitForWrite(TimeSpan.FromMilliseconds(100));
        }

        Assert.True(stalled > 2 * 1024 * 1024, $"the stall held {stalled} bytes");
        Assert.True(sink.BufferCapacity < 1024 * 1024, $"still held {sink.BufferCapacity} bytes after stdout drained");
    }

    [Fact]
    public async Task A_broken_stdout_neither_stops_the_writer_nor_holds_emitters()
    {
        var output = new RecordingStream { Broken = true };
        using var sink = new BufferedStandardOutput(output, TimeSpan.FromMilliseconds(10), maxPendingBytes: 1024);

        var emitting = Task.Run(() =>
        {
            for (var number = 0; number < 500; number++)
            {
                sink.Emit(Line(number));
            }
        });

        await emitting.WaitAsync(TimeSpan.FromSeconds(10));
        output.Broken = false;
        sink.Emit(Line(500));

        // Lines emitted while stdout was broken may be written first; the writer is alive once 500 appears.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!output.Numbers().Contains(500) && DateTime.UtcNow < deadline)
        {
            output.WaitForWrite(TimeSpan.FromMilliseconds(100));
        }

        Assert.Contains(500, output.Numbers());
    }

    [Fact]
    public void A_line_emitted_after_disposal_is_written_at_once()
    {
        var output = new RecordingStream();
        var sink = new BufferedStandardOutput(output, TimeSpan.FromHours(1));
        sink.Emit(Line(1));
        sink.Dispose();

        sink.Emit(Line(2));

        Assert.Equal([1, 2], output.Numbers());
    }

    private static LogEvent Line(int number) =>
        new(DateTimeOffset.UnixEpoch, LogEventLevel.Information, null, Numbered, [new LogEventProperty("Number", new ScalarValue(number))]);

    /// <summary>Standard output as the sink sees it: records what is written; can be made to block like a full pipe.</summary>
    private sealed class RecordingStream : Stream
    {
        private readonly MemoryStream _written = new();
        private readonly ManualResetEventSlim _open = new(true);
        private readonly SemaphoreSlim _wrote = new(0);

        public bool Broken { get; set; }

        public bool Blocked
        {
            set
            {
                if (value)
                {
                    _open.Reset();
                }
                else
                {
                    _open.Set();
                }
            }
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public bool WaitForWrite(TimeSpan timeout) => _wrote.Wait(timeout);

        public List<int> Numbers()
        {
            string text;
            lock (_written)
            {
                text = Encoding.UTF8.GetString(_written.ToArray());
            }

            return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("Number").GetInt32())
                .ToList();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(Broken, this);
            _open.Wait();
            lock (_written)
            {
                _written.Write(buffer);
            }

            _wrote.Release();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
