using System.Buffers;
using System.Runtime.CompilerServices;

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
        ReadOnlySpan<byte> first = ArraySequence.FirstSpanOf(input);
        if (first.Length >= 2)
        {
            // The common case, without a detour: a valid first byte, a Remaining Length read whole from the first
            // segment, and the whole packet there too. Anything else is sorted out below.
            byte firstByte = first[0];
            int remainingLength = first[1];
            int headerLength = 2;
            bool lengthRead = remainingLength < 0x80;
            if (!lengthRead)
            {
                lengthRead = VariableByteInteger.TryRead(first[1..], out remainingLength, out int lengthSize) == DecodeStatus.Complete;
                headerLength = 1 + lengthSize;
            }
            byte required = RequiredFlags[firstByte >> 4];
            if (lengthRead && (required == (firstByte & 0x0F) || required == AnyFlags)
                && (long)headerLength + remainingLength <= maximumPacketSize && first.Length - headerLength >= remainingLength)
            {
                frame = new MqttFrame((PacketType)(firstByte >> 4), (byte)(firstByte & 0x0F), headerLength, input, headerLength, remainingLength, first);
                error = default;
                return DecodeStatus.Complete;
            }
        }
        return TryReadAny(input, first, maximumPacketSize, out frame, out error);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static DecodeStatus TryReadAny(in ReadOnlySequence<byte> input, ReadOnlySpan<byte> first, int maximumPacketSize,
        out MqttFrame frame, out DecodeError error)
    {
        // The fixed header is read from one span: the first segment's, or the first few bytes copied together
        // when a segment boundary falls inside the header.
        Span<byte> scratch = stackalloc byte[MaxHeaderSize];
        ReadOnlySpan<byte> header = first.Length >= MaxHeaderSize || input.IsSingleSegment ? first : CopyHeader(input, scratch);
        frame = default;
        error = default;
        if (header.IsEmpty)
        {
            return DecodeStatus.NeedMoreData;
        }
        DecodeStatus lengthStatus = VariableByteInteger.TryRead(header[1..], out int remainingLength, out int lengthSize);
        if (lengthStatus == DecodeStatus.Complete)
        {
            return TryRead(input, first, remainingLength, lengthSize, maximumPacketSize, out frame, out error);
        }
        // The type and flags are judged before the length, whatever the length's state.
        if (!IsValidFirstByte(header[0], out error) || lengthStatus == DecodeStatus.NeedMoreData)
        {
            return error.Message is null ? DecodeStatus.NeedMoreData : DecodeStatus.Invalid;
        }
        error = new DecodeError(ReasonCode.MalformedPacket, 1, "[MQTT-1.5.5-1] Remaining Length is not a valid Variable Byte Integer");
        return DecodeStatus.Invalid;
    }

    private static DecodeStatus TryRead(in ReadOnlySequence<byte> input, ReadOnlySpan<byte> first, int remainingLength, int lengthSize,
        int maximumPacketSize, out MqttFrame frame, out DecodeError error)
    {
        frame = default;
        byte firstByte = first.Length > 0 ? first[0] : FirstByte(input);
        if (!IsValidFirstByte(firstByte, out error))
        {
            return DecodeStatus.Invalid;
        }
        int headerLength = 1 + lengthSize;
        if ((long)headerLength + remainingLength > maximumPacketSize)
        {
            error = new DecodeError(ReasonCode.PacketTooLarge, 1, "packet is larger than the Maximum Packet Size");
            return DecodeStatus.Invalid;
        }
        // Length of the first span first: it avoids walking the segments when the frame lies in the first.
        if (first.Length - headerLength < remainingLength && input.Length - headerLength < remainingLength)
        {
            return DecodeStatus.NeedMoreData;
        }
        frame = new MqttFrame((PacketType)(firstByte >> 4), (byte)(firstByte & 0x0F), headerLength, input, headerLength, remainingLength, first);
        return DecodeStatus.Complete;
    }

    private static byte FirstByte(in ReadOnlySequence<byte> input)
    {
        Span<byte> b = stackalloc byte[1];
        input.Slice(0, 1).CopyTo(b);
        return b[0];
    }

    /// <summary>Packet type 0 is reserved; Table 2-2 fixes the flags of every type but PUBLISH [MQTT-2.1.3-1].</summary>
    private static bool IsValidFirstByte(byte first, out DecodeError error)
    {
        var type = (PacketType)(first >> 4);
        if (type == PacketType.Reserved)
        {
            error = new DecodeError(ReasonCode.MalformedPacket, 0, "packet type 0 is reserved");
            return false;
        }
        byte required = RequiredFlags[(int)type];
        if (required != AnyFlags && required != (first & 0x0F))
        {
            error = new DecodeError(ReasonCode.MalformedPacket, 0, "[MQTT-2.1.3-1] reserved fixed header flags have the wrong value");
            return false;
        }
        error = default;
        return true;
    }

    private const int MaxHeaderSize = 1 + VariableByteInteger.MaxSize;

    private static ReadOnlySpan<byte> CopyHeader(in ReadOnlySequence<byte> input, Span<byte> scratch)
    {
        Span<byte> header = scratch[..(int)Math.Min(input.Length, scratch.Length)];
        input.Slice(0, header.Length).CopyTo(header);
        return header;
    }

    private const byte AnyFlags = 0x10;

    /// <summary>
    /// Table 2-2, by packet type: the fixed header flags each type must carry. PUBREL, SUBSCRIBE and UNSUBSCRIBE
    /// carry 0010, PUBLISH its own (<see cref="AnyFlags"/>), the rest 0000; type 0 is refused before this is asked.
    /// </summary>
    private static ReadOnlySpan<byte> RequiredFlags => [0xFF, 0, 0, AnyFlags, 0, 0, 0b0010, 0, 0b0010, 0, 0b0010, 0, 0, 0, 0, 0];
}
