using System.Buffers;

namespace Mqtt.Codec.Tests;

/// <summary>Hex text to bytes and back, for hand-written packets and readable failure messages.</summary>
public static class Hex
{
    /// <summary>Parses hex digits, ignoring spaces, so packets can be written field by field: "30 05 0001 61 ...".</summary>
    public static byte[] Parse(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    public static string Of(in ReadOnlySequence<byte> bytes) => Of(bytes.ToArray());
}
