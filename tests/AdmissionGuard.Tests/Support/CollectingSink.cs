using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace AdmissionGuard.Tests.Support;

/// <summary>Keeps the server's log events so tests can read the audit trail.</summary>
public sealed class CollectingSink : ILogEventSink
{
    public ConcurrentQueue<LogEvent> Events { get; } = new();

    public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);

    public LogEvent? Decision(string uid) =>
        Events.FirstOrDefault(e => e.Properties.TryGetValue("Uid", out var value) && value is ScalarValue { Value: string s } && s == uid);

    public static object? Scalar(LogEvent logEvent, string property) =>
        logEvent.Properties.TryGetValue(property, out var value) && value is ScalarValue scalar ? scalar.Value : null;
}
