using System.CommandLine;

namespace Mqtt.Cli.Commands;

/// <summary>The flags of `mqttcore broker` (CLI.md); a config file's keys are their names without the dashes.</summary>
internal static class BrokerFlags
{
    public static readonly Option<string[]> Listen = new Option<string[]>("--listen") { Description = "HOST:PORT to listen on (repeatable); default 127.0.0.1:1883", AllowMultipleArgumentsPerToken = false }.ValueEachTime();
    public static readonly Option<string[]> TlsListen = new Option<string[]>("--tls-listen") { Description = "HOST:PORT for TLS (repeatable); needs --cert and --key" }.ValueEachTime();
    public static readonly Option<string[]> WsListen = new Option<string[]>("--ws-listen") { Description = "HOST:PORT for MQTT over WebSocket (repeatable)" }.ValueEachTime();
    public static readonly Option<string[]> WssListen = new Option<string[]>("--wss-listen") { Description = "HOST:PORT for MQTT over WebSocket over TLS (repeatable); needs --cert and --key" }.ValueEachTime();
    public static readonly Option<string?> Cert = new("--cert") { Description = "PEM certificate for TLS listeners" };
    public static readonly Option<string?> Key = new("--key") { Description = "PEM private key for TLS listeners" };
    public static readonly Option<string?> Data = new("--data") { Description = "data folder (credentials, and the state with --persistence); default ./mqttcore-data" };
    public static readonly Option<string?> Config = new("--config") { Description = "JSON config file whose keys mirror these flags" };
    public static readonly Option<string?> Registration = new("--registration") { Description = "open|closed: may unknown users register themselves; default open" };
    public static readonly Option<string?> PlainPasswords = new("--plain-passwords") { Description = "never|tls|always: where plain CONNECT passwords are accepted; default tls" };
    public static readonly Option<bool> AllowAnonymous = new("--allow-anonymous") { Description = "accept clients without credentials" };
    public static readonly Option<string?> Acl = new("--acl") { Description = "ACL file (docs/security.md); default: the built-in rules" };
    public static readonly Option<string?> LogLevel = new("--log-level") { Description = "trace|debug|information|warning|error; default information" };
    public static readonly Option<int?> MaxKeepAlive = new("--max-keepalive") { Description = "cap on clients' Keep Alive, in seconds (0: none)" };
    public static readonly Option<int?> ReceiveMaximum = new("--receive-maximum") { Description = "QoS 1/2 messages a client may have in flight to us; default 100" };
    public static readonly Option<int?> MaxPacketSize = new("--max-packet-size") { Description = "largest packet accepted, in bytes; default 1048576" };
    public static readonly Option<int?> MaxConnections = new("--max-connections") { Description = "most simultaneous connections; default 100000" };
    public static readonly Option<int?> MaxQueuedMessages = new("--max-queued-messages") { Description = "QoS 1/2 messages queued per session beyond those in flight (0: no bound); default 1000" };
    public static readonly Option<long?> MaxQueuedBytes = new("--max-queued-bytes") { Description = "bytes waiting to be sent to one client before its QoS 0 messages are dropped and its input is paused (0: no bound); default 1048576" };
    public static readonly Option<int?> MaxRetainedMessages = new("--max-retained-messages") { Description = "retained messages the broker keeps; a new one past it is refused with 0x97 (0: no bound); default 1000000" };
    public static readonly Option<long?> MaxRetainedBytes = new("--max-retained-bytes") { Description = "bytes of retained messages the broker keeps; one past it is refused with 0x97 (0: no bound); default 1073741824" };
    public static readonly Option<long?> MaxConnectingBytes = new("--max-connecting-bytes") { Description = "bytes of CONNECT and AUTH packets over 8 KiB held at once for clients not yet accepted; one past it is refused with 0x89 (0: no bound); default 67108864" };
    public static readonly Option<long?> MaxSessionExpiry = new("--max-session-expiry") { Description = "cap, in seconds, on how long a session outlives its connection, 3.1.1 persistent sessions included (0: none); default 0" };
    public static readonly Option<int?> MaxUsers = new("--max-users") { Description = "self-registration stops at this many users (0: no bound); default 100000" };
    public static readonly Option<int?> MaxRegistrationsPerAddress = new("--max-registrations-per-address") { Description = "users one address may register in a row before it waits 5 minutes (0: no bound); default 10" };
    public static readonly Option<int?> SysInterval = new("--sys-interval") { Description = "seconds between $SYS updates (0: off); default 10" };
    public static readonly Option<bool> Persistence = new("--persistence") { Description = "keep retained messages and persistent sessions across restarts, in the file state in --data" };
    public static readonly Option<int?> AutosaveInterval = new("--autosave-interval") { Description = "seconds between saves of the state with --persistence (0: only at shutdown); default 1800" };

    /// <summary>Every flag, in the order `--help` lists them.</summary>
    public static readonly Option[] All =
    [
        Listen, TlsListen, WsListen, WssListen, Cert, Key, Data, Config, Registration, PlainPasswords, AllowAnonymous, Acl, LogLevel,
        MaxKeepAlive, ReceiveMaximum, MaxPacketSize, MaxConnections, MaxQueuedMessages, MaxQueuedBytes, MaxRetainedMessages, MaxRetainedBytes,
        MaxConnectingBytes, MaxSessionExpiry, MaxUsers, MaxRegistrationsPerAddress, SysInterval, Persistence, AutosaveInterval,
    ];
}
