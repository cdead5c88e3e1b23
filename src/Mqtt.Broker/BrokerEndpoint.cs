using System.Net;

namespace Mqtt.Broker;

/// <summary>An endpoint the broker listens on, with what it speaks there.</summary>
/// <param name="EndPoint">The bound address and port (the real port when 0 was asked for).</param>
/// <param name="IsTls">Whether connections are TLS.</param>
/// <param name="IsWebSocket">Whether MQTT runs over WebSocket (MQTT 5.0 section 6).</param>
public readonly record struct BrokerEndpoint(IPEndPoint EndPoint, bool IsTls, bool IsWebSocket)
{
    /// <summary>The URL scheme clients use: mqtt, mqtts, ws or wss.</summary>
    public string Scheme => (IsWebSocket, IsTls) switch
    {
        (false, false) => "mqtt",
        (false, true) => "mqtts",
        (true, false) => "ws",
        (true, true) => "wss",
    };
}
