using System.Buffers;

namespace Mqtt.Codec;

/// <summary>PINGRESP (section 3.13): the server's answer to PINGREQ. It has no fields.</summary>
public readonly struct PingRespPacket : IMqttPacket
{
    /// <summary>Size of the packet on the wire.</summary>
    public const int Size = 2;

    /// <summary>Decodes a PINGRESP frame: its Remaining Length must be 0.</summary>
    public static bool TryRead(in MqttFrame frame, out PingRespPacket packet, out DecodeError error)
    {
        packet = default;
        return EmptyPacket.TryRead(frame, out error);
    }

    /// <summary>Encodes the packet.</summary>
    public void Write(IBufferWriter<byte> output) => EmptyPacket.Write(output, PacketType.PingResp);

    int IMqttPacket.GetSize(ProtocolVersion version) => Size;

    void IMqttPacket.Write(IBufferWriter<byte> output, ProtocolVersion version) => Write(output);
}
