using System.Buffers;

namespace Mqtt.Codec;

/// <summary>PUBREC (section 3.5): answers a QoS 2 PUBLISH (first step).</summary>
/// <remarks>Not a readonly struct only so that decoding can fill the caller's packet in place; every member is readonly.</remarks>
public struct PubRecPacket : IMqttPacket
{
    private MqttProperties _properties;
    private ushort _packetId;
    private ReasonCode _reasonCode;

    /// <summary>Packet Identifier of the PUBLISH this belongs to.</summary>
    public ushort PacketId { readonly get => _packetId; init => _packetId = value; }

    /// <summary>MQTT 5 Reason Code; always Success in 3.1.1.</summary>
    public ReasonCode ReasonCode { readonly get => _reasonCode; init => _reasonCode = value; }

    /// <summary>MQTT 5 properties (Reason String, User Properties).</summary>
    public MqttProperties Properties { readonly get => _properties; init => _properties = value; }

    /// <summary>Decodes a PUBREC frame.</summary>
    public static bool TryRead(in MqttFrame frame, ProtocolVersion version, out PubRecPacket packet, out DecodeError error)
    {
        packet = default;
        if (PublishResponse.TryRead(frame, version, out packet._packetId, out packet._reasonCode, ref packet._properties, out error))
        {
            return true;
        }
        packet = default;
        return false;
    }

    /// <summary>Size of the whole packet on the wire.</summary>
    public readonly int GetSize(ProtocolVersion version) => PublishResponse.GetSize(version, _reasonCode, _properties);

    /// <summary>Encodes the packet.</summary>
    public readonly void Write(IBufferWriter<byte> output, ProtocolVersion version) =>
        PublishResponse.Write(output, version, PacketType.PubRec, _packetId, _reasonCode, _properties);
}
