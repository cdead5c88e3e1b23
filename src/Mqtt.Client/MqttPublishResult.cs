using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>The outcome of a publication: the PUBACK's or PUBREC's reason code (QoS 1 and 2), or Success for QoS 0.</summary>
public sealed class MqttPublishResult
{
    /// <summary>The result of every QoS 0 publication, shared so that publishing allocates nothing.</summary>
    internal static readonly MqttPublishResult AtMostOnce = new() { ReasonCode = ReasonCode.Success };

    /// <summary>Reason Code of the PUBACK (QoS 1), or of the PUBREC / PUBCOMP (QoS 2); values from 0x80 are failures.</summary>
    public ReasonCode ReasonCode { get; init; }

    /// <summary>Packet Identifier used (0 for QoS 0).</summary>
    public ushort PacketId { get; init; }

    /// <summary>MQTT 5 Reason String.</summary>
    public string? ReasonString { get; init; }

    /// <summary>MQTT 5 User Properties of the acknowledgement.</summary>
    public IReadOnlyList<MqttUserProperty> UserProperties { get; init; } = [];

    /// <summary>True when the server accepted the message (reason code below 0x80).</summary>
    public bool IsSuccess => (byte)ReasonCode < 0x80;
}
