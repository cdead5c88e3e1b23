using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace Mqtt.Codec;

/// <summary>The rules for UTF-8 Encoded Strings (section 1.5.4) and conversions to .NET strings.</summary>
public static class MqttUtf8
{
    /// <summary>
    /// True when <paramref name="bytes"/> is well-formed UTF-8 without surrogates [MQTT-1.5.4-1] and without U+0000 [MQTT-1.5.4-2].
    /// A leading EF BB BF is an ordinary U+FEFF and is kept [MQTT-1.5.4-3].
    /// </summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> bytes) =>
        // Short ASCII (topics, client ids, content types, property names) is settled 8 bytes at a time, cheaper
        // than a loop per byte or the start of the vectorised searches below; anything else goes to them.
        (bytes.Length <= ShortString && IsAsciiWithoutNul(bytes)) || IsWellFormedText(bytes);

    private const int ShortString = 64;

    private const ulong Ones = 0x0101_0101_0101_0101;
    private const ulong HighBits = 0x8080_8080_8080_8080;

    /// <summary>True when every byte is 0x01..0x7F.</summary>
    private static bool IsAsciiWithoutNul(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= sizeof(ulong))
        {
            // Words overlap at the end rather than leave a tail; each byte is judged on its own, so order does not matter.
            ulong flags = 0;
            int last = bytes.Length - sizeof(ulong);
            for (int i = 0; i < last; i += sizeof(ulong))
            {
                flags |= NulOrNonAscii(MemoryMarshal.Read<ulong>(bytes.Slice(i, sizeof(ulong))));
            }
            return (flags | NulOrNonAscii(MemoryMarshal.Read<ulong>(bytes.Slice(last, sizeof(ulong))))) == 0;
        }
        if (bytes.Length >= sizeof(uint))
        {
            // 4 to 7 bytes: two overlapping 4-byte words side by side in one.
            ulong head = MemoryMarshal.Read<uint>(bytes[..sizeof(uint)]);
            ulong tail = MemoryMarshal.Read<uint>(bytes[^sizeof(uint)..]);
            return NulOrNonAscii(head | tail << 32) == 0;
        }
        foreach (byte b in bytes)
        {
            if ((uint)(b - 1) >= 0x7F)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The high bit of each byte that is 0x00 or 0x80..0xFF may be set, and is set for at least one such byte when
    /// there is any: a byte of 0x80 and more carries its own high bit, and subtracting 1 from a 0x00 byte sets its
    /// high bit (a borrow it passes on can only mark bytes beyond a byte that is already a NUL).
    /// </summary>
    private static ulong NulOrNonAscii(ulong word) => (word | (word - Ones)) & HighBits;

    private static bool IsWellFormedText(ReadOnlySpan<byte> bytes) => bytes.IndexOf((byte)0) < 0 && Utf8.IsValid(bytes);

    /// <summary>As <see cref="IsWellFormed(ReadOnlySpan{byte})"/> for bytes that may span segments.</summary>
    public static bool IsWellFormed(in ReadOnlySequence<byte> bytes)
    {
        if (ArraySequence.TryGetSpan(bytes, out ReadOnlySpan<byte> span))
        {
            return IsWellFormed(span);
        }
        using var contiguous = new ContiguousBytes(bytes, stackalloc byte[256]);
        return IsWellFormed(contiguous.Span);
    }

    /// <summary>Materialises a string field; call it only when a string is really needed.</summary>
    public static string GetString(in ReadOnlySequence<byte> bytes) => Encoding.UTF8.GetString(bytes);

    /// <summary>Encodes <paramref name="text"/> for a packet field; for building packets, not for hot paths.</summary>
    public static ReadOnlySequence<byte> Encode(string text) => new(Encoding.UTF8.GetBytes(text));
}
