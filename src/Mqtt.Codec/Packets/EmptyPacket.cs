using System.Buffers;

namespace Mqtt.Codec;

/// <summary>Reading and writing of the packets that are a fixed header alone (PINGREQ, PINGRESP, 3.1.1 DISCONNECT).</summary>
internal static class EmptyPacket
{
    public static bool TryRead(in MqttFrame frame, out DecodeError error)
    {
        error = frame.BodyLength == 0
            ? default
            : new DecodeError(ReasonCode.MalformedPacket, frame.HeaderLength, "packet must have a Remaining Length of 0");
        return frame.BodyLength == 0;
    }

    public static void Write(IBufferWriter<byte> output, PacketType type)
    {
        Span<byte> span = output.GetSpan(2);
        span[0] = (byte)((int)type << 4);
        span[1] = 0;
        output.Advance(2);
    }
}
