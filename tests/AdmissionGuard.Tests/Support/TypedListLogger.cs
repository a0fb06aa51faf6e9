using Microsoft.Extensions.Logging;

namespace AdmissionGuard.Tests.Support;

/// <summary>A <see cref="ListLogger"/> as the typed logger a class takes from its container.</summary>
public sealed class TypedListLogger<TCategory>(ListLogger entries) : ILogger<TCategory>
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => entries.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => entries.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        entries.Log(logLevel, eventId, state, exception, formatter);
}
