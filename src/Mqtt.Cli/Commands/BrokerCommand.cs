using System.CommandLine;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Mqtt.Broker;

namespace Mqtt.Cli.Commands;

/// <summary>`mqttcore broker`: runs the broker in the foreground until SIGINT or SIGTERM (CLI.md).</summary>
internal static class BrokerCommand
{
    public static Command Create()
    {
        var command = new Command("broker", "Run the MQTT broker in the foreground.");
        foreach (Option option in BrokerFlags.All)
        {
            command.Options.Add(option);
        }
        command.SetAction((result, cancellationToken) => RunAsync(result, cancellationToken));
        return command;
    }

    /// <summary>
    /// One line per event on stderr, as Mosquitto logs by default, so stdout carries only the `listening on` lines
    /// scripts wait for. Lines wait in the console logger's queue (2,500); when the output cannot keep up (a pipe
    /// nobody reads), further lines are dropped rather than blocking every thread that logs.
    /// </summary>
    private static ILoggerFactory CreateLogging(LogLevel level) => LoggerFactory.Create(b => b
        .AddConsole(o =>
        {
            o.QueueFullMode = ConsoleLoggerQueueFullMode.DropWrite;
            o.LogToStandardErrorThreshold = Microsoft.Extensions.Logging.LogLevel.Trace;
        })
        .AddSimpleConsole(o => o.SingleLine = true)
        .SetMinimumLevel(level));

    private static async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        BrokerSettings settings;
        BrokerOptions options;
        BrokerSecurity security;
        ILoggerFactory logging;
        try
        {
            settings = BrokerSettings.Load(result.GetValue(BrokerFlags.Config));
            settings.Apply(result);
            options = settings.ToOptions();
            foreach (string unused in settings.Unused())
            {
                await Console.Error.WriteLineAsync($"mqttcore broker: warning: {unused}");
            }
            logging = CreateLogging(settings.LogLevel);
            security = BrokerSecurity.Configure(options, settings.ToSecurityOptions(), logging.CreateLogger("mqttcore.auth"));
        }
        catch (Exception e) when (e is FormatException or ArgumentException or IOException or UnauthorizedAccessException or JsonException
            or System.Security.Cryptography.CryptographicException)
        {
            await Console.Error.WriteLineAsync($"mqttcore broker: {e.Message}");
            return ExitCodes.Usage;
        }
        using ILoggerFactory disposeLogging = logging;
        using BrokerSecurity disposeSecurity = security;
        // Listening for the signals before the `listening on` lines: a script may send one as soon as it reads them, and
        // a signal before the handler ends the process at once, without DISCONNECTs or the state saved.
        using var signals = new InterruptSignals(cancellationToken);
        var broker = new MqttBroker(options, logging.CreateLogger("mqttcore.broker"));
        try
        {
            await broker.StartAsync(cancellationToken);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // As Mosquitto: a port already in use (or not ours to bind), a state file that does not load (a
            // StateFileException says where and why) or a credential file that cannot be read, is a configuration error, exit 1.
            await Console.Error.WriteLineAsync($"mqttcore broker: {e.Message}");
            return ExitCodes.Usage;
        }
        if (!signals.Token.IsCancellationRequested)
        {
            // (A signal during a slow start, a large state file loading, stops the broker now, without these lines.)
            foreach (BrokerEndpoint endpoint in broker.Endpoints)
            {
                Console.Out.WriteLine($"listening on {endpoint.EndPoint} ({endpoint.Scheme})");
            }
            Console.Out.Flush();
            await Task.Delay(Timeout.Infinite, signals.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        try
        {
            await broker.StopAsync();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"mqttcore broker: the state was not saved: {e.Message}");
            return ExitCodes.Usage;
        }
        return ExitCodes.Success;
    }
}
