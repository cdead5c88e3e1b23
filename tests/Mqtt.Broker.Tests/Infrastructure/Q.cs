global using System.Buffers;
global using Mqtt.Codec;
global using static Mqtt.Broker.Tests.Q;

namespace Mqtt.Broker.Tests;

/// <summary>Short names for the things every test says.</summary>
internal static class Q
{
    public const QualityOfService QoS0 = QualityOfService.AtMostOnce;
    public const QualityOfService QoS1 = QualityOfService.AtLeastOnce;
    public const QualityOfService QoS2 = QualityOfService.ExactlyOnce;
    public const ProtocolVersion V5 = ProtocolVersion.V500;
    public const ProtocolVersion V311 = ProtocolVersion.V311;

    /// <summary>CONNECT properties for a session that outlives its connection.</summary>
    public static MqttProperties Persistent(uint sessionExpiry = 300) => new() { SessionExpiryInterval = sessionExpiry };
}
