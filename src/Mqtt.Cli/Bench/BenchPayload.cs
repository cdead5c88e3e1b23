using System.Buffers.Binary;

namespace Mqtt.Cli.Bench;

/// <summary>
/// The header every bench message carries in its first 16 bytes: send time (Stopwatch ticks, same machine so same
/// clock), sequence number, publisher index and whether the message belongs to the measured window. The publisher
/// decides the window flag when it stamps the message, so its count and the subscribers' count always agree.
/// </summary>
public static class BenchPayload
{
    public const int MinimumSize = 16;

    private const byte CountedFlag = 1;

    /// <summary>Fills a new payload buffer: the header is rewritten per message, the rest stays as is.</summary>
    public static byte[] Create(int size)
    {
        var payload = new byte[Math.Max(size, MinimumSize)];
        payload.AsSpan(MinimumSize).Fill((byte)'x');
        return payload;
    }

    public static void Write(Span<byte> payload, long timestamp, int sequence, int publisher, bool counted)
    {
        BinaryPrimitives.WriteInt64LittleEndian(payload, timestamp);
        BinaryPrimitives.WriteInt32LittleEndian(payload[8..], sequence);
        BinaryPrimitives.WriteUInt16LittleEndian(payload[12..], (ushort)publisher);
        payload[14] = counted ? CountedFlag : (byte)0;
        payload[15] = 0;
    }

    /// <summary>Reads the header; false when the payload is too short to be a bench message.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out long timestamp, out int sequence, out int publisher, out bool counted)
    {
        if (payload.Length < MinimumSize)
        {
            timestamp = 0;
            sequence = 0;
            publisher = 0;
            counted = false;
            return false;
        }
        timestamp = BinaryPrimitives.ReadInt64LittleEndian(payload);
        sequence = BinaryPrimitives.ReadInt32LittleEndian(payload[8..]);
        publisher = BinaryPrimitives.ReadUInt16LittleEndian(payload[12..]);
        counted = (payload[14] & CountedFlag) != 0;
        return true;
    }
}
