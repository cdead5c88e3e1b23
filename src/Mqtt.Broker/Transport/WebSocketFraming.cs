using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Numerics;

namespace Mqtt.Broker;

/// <summary>The server's side of WebSocket framing (RFC 6455 section 5.2): unmasked headers out, masked payloads in.</summary>
internal static class WebSocketFraming
{
    /// <summary>The largest header a server writes: 2 bytes and a 64-bit length (a server does not mask).</summary>
    public const int MaxServerHeaderSize = 10;

    /// <summary>A close frame carrying <paramref name="status"/> and no reason (RFC 6455 section 5.5.1).</summary>
    public static byte[] CloseFrame(ushort status) => [0x88, 0x02, (byte)(status >> 8), (byte)status];

    /// <summary>Size of the header of a final, unmasked frame carrying <paramref name="length"/> bytes.</summary>
    public static int HeaderSize(int length) => length < 126 ? 2 : length <= ushort.MaxValue ? 4 : 10;

    /// <summary>Writes the header of a final, unmasked frame at the start of <paramref name="destination"/>; returns its size.</summary>
    public static int WriteHeader(Span<byte> destination, WebSocketOpcode opcode, int length)
    {
        destination[0] = (byte)(0x80 | (int)opcode);
        switch (HeaderSize(length))
        {
            case 2:
                destination[1] = (byte)length;
                return 2;
            case 4:
                destination[1] = 126;
                BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)length);
                return 4;
            default:
                destination[1] = 127;
                BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)length);
                return 10;
        }
    }

    /// <summary>
    /// XORs <paramref name="payload"/> with the masking key <paramref name="mask"/> (big-endian as on the wire), starting
    /// at byte <paramref name="offset"/> (0-3) of the key: eight bytes at a time, then the rest.
    /// </summary>
    public static void Mask(Span<byte> payload, uint mask, int offset)
    {
        if (payload.IsEmpty)
        {
            return;
        }
        // The key as it lines up with payload[0], in memory order, repeated to 64 bits.
        uint rotated = BitConverter.IsLittleEndian
            ? BinaryPrimitives.ReverseEndianness(BitOperations.RotateLeft(mask, 8 * offset))
            : BitOperations.RotateLeft(mask, 8 * offset);
        ulong key = rotated | (ulong)rotated << 32;
        Span<ulong> words = MemoryMarshal.Cast<byte, ulong>(payload);
        for (int i = 0; i < words.Length; i++)
        {
            words[i] ^= key;
        }
        for (int i = words.Length * 8; i < payload.Length; i++)
        {
            payload[i] ^= (byte)(mask >> (24 - 8 * ((offset + i) & 3)));
        }
    }
}
