using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AdmissionGuard.Tests.Support;

/// <summary>An ILogger that keeps each entry's level, message template and text, for classes tested without a host.</summary>
public sealed class ListLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Template, string Text)> Entries { get; } = new();

    /// <summary>The entries whose message template starts with <paramref name="prefix"/>.</summary>
    public List<(LogLevel Level, string Template, string Text)> Starting(string prefix) =>
        [.. Entries.Where(e => e.Template.StartsWith(prefix, StringComparison.Ordinal))];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var template = state is IEnumerable<KeyValuePair<string, object?>> values
            ? values.FirstOrDefault(v => v.Key == "{OriginalFormat}").Value as string ?? ""
            : "";
        Entries.Enqueue((logLevel, template, formatter(state, exception)));
    }
}
