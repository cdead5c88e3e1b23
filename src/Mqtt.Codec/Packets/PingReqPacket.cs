using System.Buffers;

namespace Mqtt.Codec;

/// <summary>PINGREQ (section 3.12): the client is alive; the server must answer PINGRESP. It has no fields.</summary>
public readonly struct PingReqPacket : IMqttPacket
{
    /// <summary>Size of the packet on the wire.</summary>
    public const int Size = 2;

    /// <summary>Decodes a PINGREQ frame: its Remaining Length must be 0.</summary>
    public static bool TryRead(in MqttFrame frame, out PingReqPacket packet, out DecodeError error)
    {
        packet = default;
        return EmptyPacket.TryRead(frame, out error);
    }

    /// <summary>Encodes the packet.</summary>
    public void Write(IBufferWriter<byte> output) => EmptyPacket.Write(output, PacketType.PingReq);

    int IMqttPacket.GetSize(ProtocolVersion version) => Size;

    void IMqttPacket.Write(IBufferWriter<byte> output, ProtocolVersion version) => Write(output);
}
