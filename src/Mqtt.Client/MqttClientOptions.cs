using Microsoft.Extensions.Logging;
using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>How an <see cref="MqttClient"/> connects and behaves. Read at each connection attempt.</summary>
public sealed class MqttClientOptions
{
    /// <summary>Broker host name or address.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Broker port; 0 means 1883, or 8883 with TLS (over WebSocket: 80, or 443 with TLS).</summary>
    public int Port { get; set; }

    /// <summary>Use TLS (SslStream) to the broker.</summary>
    public bool UseTls { get; set; }

    /// <summary>
    /// MQTT over WebSocket to this request path (e.g. "/mqtt"), wss:// with <see cref="UseTls"/>; null (the default)
    /// for MQTT over TCP.
    /// </summary>
    public string? WebSocketPath { get; set; }

    /// <summary>PEM file of CA certificates to trust for the broker's certificate, instead of the system store.</summary>
    public string? CaFile { get; set; }

    /// <summary>Accept any server certificate (explicit insecure mode, for tests only).</summary>
    public bool AllowUntrustedCertificates { get; set; }

    /// <summary>
    /// Client Identifier; empty asks the server to assign one (MQTT 5; 3.1.1 needs Clean Session for that). The
    /// Assigned Client Identifier is then sent by the client's later connections (reconnections, ConnectAsync) while
    /// this stays empty, so that they find the session again.
    /// </summary>
    public string ClientId { get; set; } = "";

    /// <summary>MQTT 5.0 (default) or 3.1.1.</summary>
    public ProtocolVersion ProtocolVersion { get; set; } = ProtocolVersion.V500;

    /// <summary>Clean Start (3.1.1: Clean Session) of the first connection; reconnections always resume.</summary>
    public bool CleanStart { get; set; } = true;

    /// <summary>MQTT 5 Session Expiry Interval in seconds (0: the session ends with the connection; uint.MaxValue: never).</summary>
    public uint SessionExpiryInterval { get; set; }

    /// <summary>Keep Alive; zero turns it off. The server may impose another (Server Keep Alive).</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long to wait for PINGRESP before declaring the connection dead; null means half the keep alive (at least one second).</summary>
    public TimeSpan? PingTimeout { get; set; }

    /// <summary>How long CONNECT may take, from opening the socket to CONNACK.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>MQTT 5 Receive Maximum: how many QoS 1 and 2 messages the server may have unacknowledged towards us.</summary>
    public ushort ReceiveMaximum { get; set; } = ushort.MaxValue;

    /// <summary>Largest packet accepted from the server; 0 means no limit beyond the protocol's 256 MB.</summary>
    public int MaximumPacketSize { get; set; }

    /// <summary>MQTT 5 Topic Alias Maximum: how many topic aliases the server may use towards us (0: none).</summary>
    public ushort TopicAliasMaximum { get; set; }

    /// <summary>Replace repeated topics by topic aliases when the server allows them (MQTT 5).</summary>
    public bool UseTopicAliases { get; set; } = true;

    /// <summary>The Will, published by the server if the connection ends without a normal DISCONNECT.</summary>
    public MqttWill? Will { get; set; }

    /// <summary>MQTT 5 User Properties of the CONNECT.</summary>
    public IReadOnlyList<MqttUserProperty> UserProperties { get; set; } = [];

    /// <summary>User Name of the CONNECT.</summary>
    public string? UserName { get; set; }

    /// <summary>Password of the CONNECT.</summary>
    public ReadOnlyMemory<byte>? Password { get; set; }

    /// <summary>MQTT 5 enhanced authentication; its <see cref="IEnhancedAuthenticationHandler.Method"/> is sent in CONNECT.</summary>
    public IEnhancedAuthenticationHandler? AuthenticationHandler { get; set; }

    /// <summary>
    /// Acknowledge incoming QoS 1 and 2 messages when they are handed to the application (default). When false the
    /// application calls <see cref="MqttClient.AcknowledgeAsync"/>.
    /// </summary>
    public bool AutomaticAcknowledgement { get; set; } = true;

    /// <summary>How many received messages may wait for the application before the client stops reading the socket.</summary>
    public int MessageQueueCapacity { get; set; } = 1024;

    /// <summary>Reconnect after a lost connection, resuming the session and re-sending unacknowledged QoS 1 and 2 messages.</summary>
    public bool AutomaticReconnect { get; set; }

    /// <summary>First delay before reconnecting; doubled after each failure up to <see cref="ReconnectMaximumDelay"/>.</summary>
    public TimeSpan ReconnectMinimumDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest delay between reconnection attempts.</summary>
    public TimeSpan ReconnectMaximumDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Where protocol events are logged; null for none.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>The port to use: <see cref="Port"/>, or the default of the transport.</summary>
    internal int EffectivePort => Port != 0 ? Port : (UseTls, WebSocketPath is null) switch
    {
        (false, true) => 1883,
        (true, true) => 8883,
        (false, false) => 80,
        (true, false) => 443,
    };

    /// <summary>The ws:// or wss:// address of a WebSocket connection.</summary>
    internal Uri WebSocketUri => new UriBuilder(UseTls ? "wss" : "ws", Host, EffectivePort, WebSocketPath).Uri;
}
