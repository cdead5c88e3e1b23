using Mqtt.Codec;

namespace Mqtt.Client.Tests;

/// <summary>The CONNACK fields the client reports in <see cref="MqttConnectResult"/>, copied out of the stream.</summary>
public sealed record ConnAckSummary(ReasonCode ReasonCode, bool SessionPresent, uint? MaximumPacketSize, ushort ReceiveMaximum,
    ushort TopicAliasMaximum, QualityOfService MaximumQoS, string? AssignedClientIdentifier, ushort? ServerKeepAlive)
{
    public static ConnAckSummary Of(in ConnAckPacket connAck)
    {
        MqttProperties p = connAck.Properties;
        return new ConnAckSummary(connAck.ReasonCode, connAck.SessionPresent, p.MaximumPacketSize, p.ReceiveMaximum ?? ushort.MaxValue,
            p.TopicAliasMaximum ?? 0, p.MaximumQoS ?? QualityOfService.ExactlyOnce,
            p.AssignedClientIdentifier is { } assigned ? MqttUtf8.GetString(assigned) : null, p.ServerKeepAlive);
    }

    public static ConnAckSummary Of(MqttConnectResult result) => new(result.ReasonCode, result.SessionPresent, result.MaximumPacketSize,
        result.ReceiveMaximum, result.TopicAliasMaximum, result.MaximumQoS, result.AssignedClientIdentifier, result.ServerKeepAlive);
}
