using System.Buffers;
using System.Buffers.Binary;

namespace Mqtt.Codec;

/// <summary>
/// A PUBACK or PUBREC refusing a message with a Reason Code that packet may not carry [MQTT-3.4.2-1] [MQTT-3.5.2-1]:
/// Mosquitto answers a message over its message_size_limit with 0x95 Packet too large. The strict readers call that
/// a protocol error; a client that would rather report the refusal it plainly is reads it here.
/// </summary>
public static class OffListRefusal
{
    /// <summary>
    /// True for an MQTT 5 PUBACK or PUBREC whose Packet Identifier is not 0 and whose Reason Code is a refusal (0x80 or
    /// above) missing from that packet's list; its properties are not read. A code on the list is left to the strict
    /// reader: the packet failed it for another reason (bad properties, say), so it is malformed.
    /// </summary>
    public static bool TryRead(in MqttFrame frame, ProtocolVersion version, out ushort packetId, out ReasonCode reasonCode)
    {
        packetId = 0;
        reasonCode = ReasonCode.Success;
        ReadOnlySequence<byte> body = frame.Body;
        if (version != ProtocolVersion.V500 || frame.Type is not (PacketType.PubAck or PacketType.PubRec) || body.Length < 3)
        {
            return false;
        }
        Span<byte> head = stackalloc byte[3];
        body.Slice(0, 3).CopyTo(head);
        packetId = BinaryPrimitives.ReadUInt16BigEndian(head);
        reasonCode = (ReasonCode)head[2];
        return packetId != 0 && head[2] >= 0x80 && !ReasonCodes.IsValidFor(frame.Type, reasonCode);
    }
}
