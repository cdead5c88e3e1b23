using System.Buffers;
using CsCheck;

namespace Mqtt.Codec.Tests;

/// <summary>Generators of valid field values: UTF-8 strings (non-ASCII included), topic names, topic filters, binary data.</summary>
public static class FieldGenerators
{
    // Pieces that encode to 1, 2, 3 and 4 UTF-8 bytes, a U+FEFF that must be kept [MQTT-1.5.4-3], and the
    // edges of each encoding length. No U+0000 and no lone surrogate: those are not valid strings.
    private static readonly string[] NonAscii =
    [
        "é", "ü", "ß", "Ω", "\u0080", "\u07FF", "€", "中文", "\u0800", "\uFEFF", "\uFFFD", "😀", "\U00010000", "\U0010FFFF",
    ];

    private static readonly Gen<string> AsciiPiece = Gen.Char["abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 -_.:$"].Select(static c => c.ToString());

    private static readonly Gen<string> NonAsciiPiece = Gen.Int[0, NonAscii.Length - 1].Select(static i => NonAscii[i]);

    private static readonly Gen<string> TextPiece = Gen.Frequency((5, AsciiPiece), (1, NonAsciiPiece));

    /// <summary>Text of <paramref name="min"/> to <paramref name="max"/> pieces (a piece is one or two characters).</summary>
    public static Gen<string> Text(int min, int max) => TextPiece.Array[min, max].Select(static pieces => string.Concat(pieces));

    /// <summary>A UTF-8 Encoded String field.</summary>
    public static Gen<ReadOnlySequence<byte>> Utf8(int min = 0, int max = 12) => Text(min, max).Select(MqttUtf8.Encode);

    /// <summary>Binary Data: arbitrary bytes.</summary>
    public static Gen<ReadOnlySequence<byte>> Binary(int min = 0, int max = 24) =>
        Gen.Byte.Array[min, max].Select(static b => new ReadOnlySequence<byte>(b));

    /// <summary>A topic level: text without '/', '+' or '#' (may be empty: "a//b" and "/a" are valid names).</summary>
    private static readonly Gen<string> Level = TextPiece.Array[0, 5].Select(static pieces => string.Concat(pieces));

    /// <summary>A Topic Name: at least one character, levels split by '/', no wildcards [MQTT-4.7.0-1] [MQTT-4.7.3-1].</summary>
    public static readonly Gen<string> TopicNameText = Level.Array[1, 4]
        .Select(static levels => string.Join('/', levels))
        .Where(static name => name.Length > 0);

    public static readonly Gen<ReadOnlySequence<byte>> TopicName = TopicNameText.Select(MqttUtf8.Encode);

    /// <summary>A filter level: plain text or '+' alone.</summary>
    private static readonly Gen<string> FilterLevel = Gen.Frequency((3, Level), (1, Gen.Const("+")));

    /// <summary>A Topic Filter without sharing: levels, '+' levels, an optional final '#'.</summary>
    private static readonly Gen<string> PlainFilterText = Gen.Select(FilterLevel.Array[1, 4], Gen.Int[0, 3], static (levels, hash) =>
    {
        string filter = string.Join('/', levels);
        return hash == 0 ? (filter.Length == 0 ? "#" : filter + "/#") : filter;
    }).Where(static f => f.Length > 0);

    /// <summary>A share name: at least one character, no '/', '+' or '#' [MQTT-4.8.2-1] [MQTT-4.8.2-2].</summary>
    private static readonly Gen<string> ShareName = TextPiece.Array[1, 4].Select(static pieces => string.Concat(pieces));

    /// <summary>A valid Topic Filter, with '+', '#' and "$share/name/..." forms.</summary>
    public static readonly Gen<string> TopicFilterText = Gen.Frequency(
        (4, PlainFilterText),
        (1, Gen.Select(ShareName, PlainFilterText, static (share, filter) => $"$share/{share}/{filter}")),
        (1, Gen.OneOf("#", "+", "+/+", "/#", "$SYS/#", "a/+/b/#", "sport/tennis/+")));

    public static readonly Gen<ReadOnlySequence<byte>> TopicFilter = TopicFilterText.Select(MqttUtf8.Encode);

    /// <summary>User Properties: 1 to 3 pairs, names may repeat, strings may be empty.</summary>
    public static readonly Gen<UserProperties> UserProperties = Gen.Select(Text(0, 6), Text(0, 8))
        .Array[1, 3]
        .Select(static pairs => Codec.UserProperties.Create(pairs));

    /// <summary>A Variable Byte Integer value, each encoded size (1 to 4 bytes) equally likely.</summary>
    public static Gen<int> VariableByteInteger(int min) => Gen.OneOf(
        Gen.Int[Math.Max(min, 0), 127],
        Gen.Int[128, 16_383],
        Gen.Int[16_384, 2_097_151],
        Gen.Int[2_097_152, Codec.VariableByteInteger.MaxValue]);
}
