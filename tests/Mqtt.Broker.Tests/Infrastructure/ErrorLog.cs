using Microsoft.Extensions.Logging;

namespace Mqtt.Broker.Tests;

/// <summary>The broker's log, keeping its errors (a connection that ended in an exception the broker did not expect).</summary>
internal sealed class ErrorLog : ILogger
{
    private readonly List<string> _errors = [];

    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            lock (_errors)
            {
                _errors.Add($"{formatter(state, exception)}: {exception}");
            }
        }
    }
}
