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
    private static readonly Option<string[]> Listen = new Option<string[]>("--listen") { Description = "HOST:PORT to listen on (repeatable); default 127.0.0.1:1883", AllowMultipleArgumentsPerToken = false }.ValueEachTime();
    private static readonly Option<string[]> TlsListen = new Option<string[]>("--tls-listen") { Description = "HOST:PORT for TLS (repeatable); needs --cert and --key" }.ValueEachTime();
    private static readonly Option<string[]> WsListen = new Option<string[]>("--ws-listen") { Description = "HOST:PORT for MQTT over WebSocket (repeatable)" }.ValueEachTime();
    private static readonly Option<string[]> WssListen = new Option<string[]>("--wss-listen") { Description = "HOST:PORT for MQTT over WebSocket over TLS (repeatable); needs --cert and --key" }.ValueEachTime();
    private static readonly Option<string?> Cert = new("--cert") { Description = "PEM certificate for TLS listeners" };
    private static readonly Option<string?> Key = new("--key") { Description = "PEM private key for TLS listeners" };
    private static readonly Option<string?> Data = new("--data") { Description = "data folder (credentials, and the state with --persistence); default ./mqttcore-data" };
    private static readonly Option<string?> Config = new("--config") { Description = "JSON config file whose keys mirror these flags" };
    private static readonly Option<string?> Registration = new("--registration") { Description = "open|closed: may unknown users register themselves; default open" };
    private static readonly Option<string?> PlainPasswords = new("--plain-passwords") { Description = "never|tls|always: where plain CONNECT passwords are accepted; default tls" };
    private static readonly Option<bool> AllowAnonymous = new("--allow-anonymous") { Description = "accept clients without credentials" };
    private static readonly Option<string?> Acl = new("--acl") { Description = "ACL file (docs/security.md); default: the built-in rules" };
    private static readonly Option<string?> LogLevel = new("--log-level") { Description = "trace|debug|information|warning|error; default information" };
    private static readonly Option<int?> MaxKeepAlive = new("--max-keepalive") { Description = "cap on clients' Keep Alive, in seconds (0: none)" };
    private static readonly Option<int?> ReceiveMaximum = new("--receive-maximum") { Description = "QoS 1/2 messages a client may have in flight to us; default 100" };
    private static readonly Option<int?> MaxPacketSize = new("--max-packet-size") { Description = "largest packet accepted, in bytes; default 1048576" };
    private static readonly Option<int?> MaxConnections = new("--max-connections") { Description = "most simultaneous connections; default 100000" };
    private static readonly Option<int?> MaxQueued = new("--max-queued-messages") { Description = "QoS 1/2 messages queued per session beyond those in flight (0: no bound); default 1000" };
    private static readonly Option<long?> MaxQueuedBytes = new("--max-queued-bytes") { Description = "bytes waiting to be sent to one client before its QoS 0 messages are dropped and its input is paused (0: no bound); default 1048576" };
    private static readonly Option<long?> MaxSessionExpiry = new("--max-session-expiry") { Description = "cap, in seconds, on how long a session outlives its connection, 3.1.1 persistent sessions included (0: none); default 0" };
    private static readonly Option<int?> MaxUsers = new("--max-users") { Description = "self-registration stops at this many users (0: no bound); default 100000" };
    private static readonly Option<int?> MaxRegistrationsPerAddress = new("--max-registrations-per-address") { Description = "users one address may register in a row before it waits 5 minutes (0: no bound); default 10" };
    private static readonly Option<int?> SysInterval = new("--sys-interval") { Description = "seconds between $SYS updates (0: off); default 10" };
    private static readonly Option<bool> Persistence = new("--persistence") { Description = "keep retained messages and persistent sessions across restarts, in the file state in --data" };
    private static readonly Option<int?> AutosaveInterval = new("--autosave-interval") { Description = "seconds between saves of the state with --persistence (0: only at shutdown); default 1800" };

    public static Command Create()
    {
        var command = new Command("broker", "Run the MQTT broker in the foreground.");
        foreach (Option option in new Option[] { Listen, TlsListen, WsListen, WssListen, Cert, Key, Data, Config, Registration, PlainPasswords, AllowAnonymous, Acl, LogLevel,
            MaxKeepAlive, ReceiveMaximum, MaxPacketSize, MaxConnections, MaxQueued, MaxQueuedBytes, MaxSessionExpiry, MaxUsers, MaxRegistrationsPerAddress, SysInterval,
            Persistence, AutosaveInterval })
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
            settings = BrokerSettings.Load(result.GetValue(Config));
            settings.Apply(result, Listen, TlsListen, WsListen, WssListen, Cert, Key, Data, Registration, PlainPasswords, AllowAnonymous, Acl, LogLevel,
                MaxKeepAlive, ReceiveMaximum, MaxPacketSize, MaxConnections, MaxQueued, MaxQueuedBytes, MaxSessionExpiry, MaxUsers, MaxRegistrationsPerAddress, SysInterval,
                Persistence, AutosaveInterval);
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
        foreach (BrokerEndpoint endpoint in broker.Endpoints)
        {
            Console.Out.WriteLine($"listening on {endpoint.EndPoint} ({endpoint.Scheme})");
        }
        Console.Out.Flush();
        await WaitForSignalAsync(cancellationToken);
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

    private static async Task WaitForSignalAsync(CancellationToken cancellationToken)
    {
        using var signals = new InterruptSignals(cancellationToken);
        await Task.Delay(Timeout.Infinite, signals.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
