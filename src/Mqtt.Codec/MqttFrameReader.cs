using System.Buffers;

namespace Mqtt.Codec;

/// <summary>
/// Finds whole packets in buffered input (section 2.1): checks the fixed header and the maximum packet size
/// as soon as they are known, before any of the body has to arrive, and never copies the body.
/// </summary>
public static class MqttFrameReader
{
    /// <summary>
    /// Bedrock-style framing: on <see cref="DecodeStatus.Complete"/> <paramref name="consumed"/> and
    /// <paramref name="examined"/> move past the packet; on <see cref="DecodeStatus.NeedMoreData"/> nothing is
    /// consumed and everything was examined, so a pipe reader waits for more bytes.
    /// </summary>
    public static DecodeStatus TryRead(
        in ReadOnlySequence<byte> input,
        int maximumPacketSize,
        ref SequencePosition consumed,
        ref SequencePosition examined,
        out MqttFrame frame,
        out DecodeError error)
    {
        DecodeStatus status = TryRead(input, maximumPacketSize, out frame, out error);
        switch (status)
        {
            case DecodeStatus.Complete:
                consumed = examined = input.GetPosition(frame.Length);
                break;
            case DecodeStatus.NeedMoreData:
                examined = input.End;
                break;
        }
        return status;
    }

    /// <summary>
    /// Reads the packet at the start of <paramref name="input"/>. A packet larger than
    /// <paramref name="maximumPacketSize"/> is refused with 0x95 from its header alone.
    /// </summary>
    public static DecodeStatus TryRead(in ReadOnlySequence<byte> input, int maximumPacketSize, out MqttFrame frame, out DecodeError error)
    {
        frame = default;
        error = default;
        // The fixed header is read from one span: the first segment's, or the first few bytes copied together
        // when a segment boundary falls inside the header.
        Span<byte> scratch = stackalloc byte[MaxHeaderSize];
        ReadOnlySpan<byte> header = input.IsSingleSegment || input.FirstSpan.Length >= MaxHeaderSize
            ? input.FirstSpan
            : CopyHeader(input, scratch);
        if (header.IsEmpty)
        {
            return DecodeStatus.NeedMoreData;
        }
        byte first = header[0];
        var type = (PacketType)(first >> 4);
        byte flags = (byte)(first & 0x0F);
        if (type == PacketType.Reserved)
        {
            error = new DecodeError(ReasonCode.MalformedPacket, 0, "packet type 0 is reserved");
            return DecodeStatus.Invalid;
        }
        if (!HasValidFlags(type, flags))
        {
            error = new DecodeError(ReasonCode.MalformedPacket, 0, "[MQTT-2.1.3-1] reserved fixed header flags have the wrong value");
            return DecodeStatus.Invalid;
        }
        DecodeStatus lengthStatus = VariableByteInteger.TryRead(header[1..], out int remainingLength, out int lengthSize);
        if (lengthStatus == DecodeStatus.NeedMoreData)
        {
            return DecodeStatus.NeedMoreData;
        }
        if (lengthStatus == DecodeStatus.Invalid)
        {
            error = new DecodeError(ReasonCode.MalformedPacket, 1, "[MQTT-1.5.5-1] Remaining Length is not a valid Variable Byte Integer");
            return DecodeStatus.Invalid;
        }
        int headerLength = 1 + lengthSize;
        if ((long)headerLength + remainingLength > maximumPacketSize)
        {
            error = new DecodeError(ReasonCode.PacketTooLarge, 1, "packet is larger than the Maximum Packet Size");
            return DecodeStatus.Invalid;
        }
        if (input.Length - headerLength < remainingLength)
        {
            return DecodeStatus.NeedMoreData;
        }
        frame = new MqttFrame(type, flags, headerLength, input.Slice(headerLength, remainingLength));
        return DecodeStatus.Complete;
    }

    private const int MaxHeaderSize = 1 + VariableByteInteger.MaxSize;

    private static ReadOnlySpan<byte> CopyHeader(in ReadOnlySequence<byte> input, Span<byte> scratch)
    {
        Span<byte> header = scratch[..(int)Math.Min(input.Length, scratch.Length)];
        input.Slice(0, header.Length).CopyTo(header);
        return header;
    }

    /// <summary>Table 2-2: PUBREL, SUBSCRIBE and UNSUBSCRIBE carry 0010, PUBLISH its own flags, the rest 0000.</summary>
    private static bool HasValidFlags(PacketType type, byte flags) => type switch
    {
        PacketType.Publish => true,
        PacketType.PubRel or PacketType.Subscribe or PacketType.Unsubscribe => flags == 0b0010,
        _ => flags == 0,
    };
}
