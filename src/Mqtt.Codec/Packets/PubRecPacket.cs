using System.Buffers;

namespace Mqtt.Codec;

/// <summary>PUBREC (section 3.5): answers a QoS 2 PUBLISH (first step).</summary>
public readonly struct PubRecPacket : IMqttPacket
{
    /// <summary>Packet Identifier of the PUBLISH this belongs to.</summary>
    public ushort PacketId { get; init; }

    /// <summary>MQTT 5 Reason Code; always Success in 3.1.1.</summary>
    public ReasonCode ReasonCode { get; init; }

    /// <summary>MQTT 5 properties (Reason String, User Properties).</summary>
    public MqttProperties Properties { get => _properties; init => _properties = value; }

    // A field rather than an auto-property so that encoding reads the large block in place instead of copying it.
    private readonly MqttProperties _properties;

    /// <summary>Decodes a PUBREC frame.</summary>
    public static bool TryRead(in MqttFrame frame, ProtocolVersion version, out PubRecPacket packet, out DecodeError error)
    {
        bool ok = PublishResponse.TryRead(frame, version, out ushort packetId, out ReasonCode reasonCode, out MqttProperties properties, out error);
        packet = ok ? new PubRecPacket { PacketId = packetId, ReasonCode = reasonCode, Properties = properties } : default;
        return ok;
    }

    /// <summary>Size of the whole packet on the wire.</summary>
    public int GetSize(ProtocolVersion version) => PublishResponse.GetSize(version, ReasonCode, _properties);

    /// <summary>Encodes the packet.</summary>
    public void Write(IBufferWriter<byte> output, ProtocolVersion version) =>
        PublishResponse.Write(output, version, PacketType.PubRec, PacketId, ReasonCode, _properties);
}
