using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mqtt.Broker.Tests;

/// <summary>The broker's log, keeping its warnings and errors as formatted lines.</summary>
internal sealed class WarningLog : ILogger
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            _lines.Enqueue(formatter(state, exception));
        }
    }
}
