using System.Buffers;

namespace Mqtt.Codec;

/// <summary>
/// The Variable Byte Integer of MQTT (section 1.5.5): 7 bits a byte, least significant first,
/// the high bit saying another byte follows; at most 4 bytes.
/// </summary>
public static class VariableByteInteger
{
    /// <summary>Largest value four bytes can carry (268,435,455).</summary>
    public const int MaxValue = 268_435_455;

    /// <summary>Largest encoded size in bytes.</summary>
    public const int MaxSize = 4;

    /// <summary>How many bytes <paramref name="value"/> takes on the wire.</summary>
    public static int GetSize(int value) => value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;

    /// <summary>Writes <paramref name="value"/> (0..<see cref="MaxValue"/>) and returns the bytes written.</summary>
    public static int Write(Span<byte> destination, int value)
    {
        if ((uint)value < 0x80)
        {
            destination[0] = (byte)value;
            return 1;
        }
        int i = 0;
        uint v = (uint)value;
        while (v >= 0x80)
        {
            destination[i++] = (byte)(v | 0x80);
            v >>= 7;
        }
        destination[i++] = (byte)v;
        return i;
    }

    /// <summary>
    /// Reads one Variable Byte Integer from the start of <paramref name="source"/>, with the same results as the
    /// <see cref="SequenceReader{T}"/> overload; <paramref name="size"/> is how far that overload would have moved
    /// (the bytes read when complete or invalid, 0 when more are needed).
    /// </summary>
    internal static DecodeStatus TryRead(ReadOnlySpan<byte> source, out int value, out int size)
    {
        value = 0;
        for (int i = 0; i < MaxSize; i++)
        {
            if (i == source.Length)
            {
                size = 0;
                return DecodeStatus.NeedMoreData;
            }
            byte b = source[i];
            value |= (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                size = i + 1;
                // [MQTT-1.5.5-1] the shortest encoding only: a trailing zero byte after a continuation is over-long.
                return b == 0 && i > 0 ? DecodeStatus.Invalid : DecodeStatus.Complete;
            }
        }
        size = MaxSize;
        return DecodeStatus.Invalid;
    }

    /// <summary>
    /// Reads one Variable Byte Integer. Returns <see cref="DecodeStatus.NeedMoreData"/> (reader left where it was)
    /// when the input ends inside it, and <see cref="DecodeStatus.Invalid"/> for a fifth byte or an over-long form.
    /// </summary>
    public static DecodeStatus TryRead(ref SequenceReader<byte> reader, out int value)
    {
        value = 0;
        for (int i = 0; i < MaxSize; i++)
        {
            if (!reader.TryRead(out byte b))
            {
                reader.Rewind(i);
                return DecodeStatus.NeedMoreData;
            }
            value |= (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                // [MQTT-1.5.5-1] the shortest encoding only: a trailing zero byte after a continuation is over-long.
                return b == 0 && i > 0 ? DecodeStatus.Invalid : DecodeStatus.Complete;
            }
        }
        return DecodeStatus.Invalid;
    }
}
