using System.Buffers;

namespace Mqtt.Codec;

/// <summary>PUBREL (section 3.6): answers PUBREC (second step of QoS 2).</summary>
public readonly struct PubRelPacket : IMqttPacket
{
    /// <summary>Packet Identifier of the PUBLISH this belongs to.</summary>
    public ushort PacketId { get; init; }

    /// <summary>MQTT 5 Reason Code; always Success in 3.1.1.</summary>
    public ReasonCode ReasonCode { get; init; }

    /// <summary>MQTT 5 properties (Reason String, User Properties).</summary>
    public MqttProperties Properties { get => _properties; init => _properties = value; }

    // A field rather than an auto-property so that encoding reads the large block in place instead of copying it.
    private readonly MqttProperties _properties;

    /// <summary>Decodes a PUBREL frame.</summary>
    public static bool TryRead(in MqttFrame frame, ProtocolVersion version, out PubRelPacket packet, out DecodeError error)
    {
        bool ok = PublishResponse.TryRead(frame, version, out ushort packetId, out ReasonCode reasonCode, out MqttProperties properties, out error);
        packet = ok ? new PubRelPacket { PacketId = packetId, ReasonCode = reasonCode, Properties = properties } : default;
        return ok;
    }

    /// <summary>Size of the whole packet on the wire.</summary>
    public int GetSize(ProtocolVersion version) => PublishResponse.GetSize(version, ReasonCode, _properties);

    /// <summary>Encodes the packet.</summary>
    public void Write(IBufferWriter<byte> output, ProtocolVersion version) =>
        PublishResponse.Write(output, version, PacketType.PubRel, PacketId, ReasonCode, _properties);
}
