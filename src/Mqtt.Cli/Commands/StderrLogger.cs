using Microsoft.Extensions.Logging;

namespace Mqtt.Cli.Commands;

/// <summary>The --verbose log: one line per protocol event on standard error.</summary>
public sealed class StderrLogger(TextWriter error) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (error)
        {
            error.WriteLine($"mqttcore: {formatter(state, exception)}");
        }
    }
}
