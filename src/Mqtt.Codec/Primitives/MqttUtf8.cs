using System.Buffers;
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
    public static bool IsWellFormed(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length <= ShortString)
        {
            // Short ASCII (topics, content types, property names) is settled byte by byte, cheaper than starting
            // the vectorised searches below.
            foreach (byte b in bytes)
            {
                if ((uint)(b - 1) >= 0x7F)
                {
                    return IsWellFormedText(bytes);
                }
            }
            return true;
        }
        return IsWellFormedText(bytes);
    }

    private const int ShortString = 32;

    private static bool IsWellFormedText(ReadOnlySpan<byte> bytes) => bytes.IndexOf((byte)0) < 0 && Utf8.IsValid(bytes);

    /// <summary>As <see cref="IsWellFormed(ReadOnlySpan{byte})"/> for bytes that may span segments.</summary>
    public static bool IsWellFormed(in ReadOnlySequence<byte> bytes)
    {
        if (SequenceSpans.TryGetSpan(bytes, out ReadOnlySpan<byte> span))
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
