using Microsoft.Extensions.Logging;

namespace Mqtt.Cli.Commands;

/// <summary>The --verbose log: one line per protocol event on standard error (from <paramref name="minimum"/> up).</summary>
public sealed class StderrLogger(TextWriter error, LogLevel minimum = LogLevel.Debug) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }
        lock (error)
        {
            error.WriteLine($"mqttcore: {formatter(state, exception)}");
        }
    }
}
