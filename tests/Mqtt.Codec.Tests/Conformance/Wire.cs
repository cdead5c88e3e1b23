using System.Text;

namespace Mqtt.Codec.Tests;

/// <summary>
/// Builds hand-written packets from hex fields, so each conformance test shows its bytes field by field and
/// the Remaining Length is always right unless a test means it to be wrong.
/// </summary>
public static class Wire
{
    /// <summary>A packet: first byte, computed Remaining Length, then the body's fields (hex, spaces ignored).</summary>
    public static byte[] Packet(byte first, params string[] fields)
    {
        byte[] body = Hex.Parse(string.Concat(fields));
        Span<byte> length = stackalloc byte[VariableByteInteger.MaxSize];
        int n = VariableByteInteger.Write(length, body.Length);
        return [first, .. length[..n], .. body];
    }

    /// <summary>A UTF-8 Encoded String field (two-byte length, then the bytes) from text.</summary>
    public static string Str(string text) => Bin(Encoding.UTF8.GetBytes(text));

    /// <summary>A length-prefixed field holding raw bytes given in hex (for ill-formed strings).</summary>
    public static string StrHex(string hex) => Bin(Hex.Parse(hex));

    public static string Bin(byte[] bytes) => $"{bytes.Length:x4}{Hex.Of(bytes)}";

    /// <summary>A property block: Property Length, then the properties (hex).</summary>
    public static string Props(params string[] properties)
    {
        byte[] block = Hex.Parse(string.Concat(properties));
        Span<byte> length = stackalloc byte[VariableByteInteger.MaxSize];
        int n = VariableByteInteger.Write(length, block.Length);
        return Hex.Of(length[..n]) + Hex.Of(block);
    }

    /// <summary>The variable header of a CONNECT up to Keep Alive: "MQTT", the version, the flags, Keep Alive 60.</summary>
    public static string ConnectHeader(ProtocolVersion version, byte flags) => $"0004 4d515454 {(byte)version:x2} {flags:x2} 003c";

    /// <summary>
    /// A CONNECT: header, properties (MQTT 5 only), then the payload fields. Offsets in it: protocol name 2,
    /// version 8, flags 9, Keep Alive 10; MQTT 5 Property Length 12 and, with no properties, Client Identifier 13;
    /// 3.1.1 Client Identifier 12.
    /// </summary>
    public static byte[] Connect(ProtocolVersion version, byte flags, params string[] payload) =>
        Packet(0x10, [ConnectHeader(version, flags), version == ProtocolVersion.V500 ? "00" : "", .. payload]);
}
