using CsCheck;

namespace Mqtt.Codec.Tests;

/// <summary>
/// Generators of hostile inputs: arbitrary bytes, and valid packets mutated the ways a broken or malicious
/// peer would (bit flips, byte replacements, truncations, insertions and deletions, Remaining Lengths taken
/// from other packets, huge or malformed Remaining Lengths).
/// </summary>
public static class HostileInputGenerators
{
    /// <summary>Interesting byte values: boundaries, wildcards, the User Property id, VBI continuation, UTF-8 lead bytes.</summary>
    private static readonly Gen<byte> Interesting = Gen.Frequency(
        (3, Gen.OneOf<byte>(0x00, 0x01, 0x02, 0x03, 0x7F, 0x80, 0xFF, 0xFE, (byte)'+', (byte)'#', (byte)'/', 0x26, 0x0B, 0x23, 0xC0, 0xED, 0xEF, 0xF4)),
        (1, Gen.Byte));

    private static readonly Gen<int> MaximumPacketSize = Gen.Frequency((4, Gen.Const(PacketDecoder.NoLimit)), (1, Gen.Int[2, 200]));

    private static readonly Gen<int> Split = Gen.Int[0, int.MaxValue];

    private static readonly Gen<byte[]> ValidPacket = PacketGenerators.Any.Select(static pv => pv.Packet.ToBytes(pv.Version));

    public static readonly string[] Names =
    [
        "arbitrary bytes", "plausible header, random body", "bit flips", "byte replacements", "truncated body",
        "inserted and deleted bytes", "remaining length of another packet", "huge or malformed remaining length",
    ];

    public static Gen<HostileInput> ByName(string name) => name switch
    {
        "arbitrary bytes" => Wrap(Gen.Byte.Array[0, 48]),
        "plausible header, random body" => Wrap(PlausibleHeader),
        "bit flips" => Wrap(Gen.Select(ValidPacket, Gen.Int[0, int.MaxValue].Array[1, 3], static (bytes, flips) =>
        {
            byte[] copy = [.. bytes];
            foreach (int flip in flips)
            {
                int bit = flip % (copy.Length * 8);
                copy[bit / 8] ^= (byte)(1 << (bit % 8));
            }
            return copy;
        })),
        "byte replacements" => Wrap(Gen.Select(ValidPacket, Gen.Select(Gen.Int[0, int.MaxValue], Interesting).Array[1, 3], static (bytes, changes) =>
        {
            byte[] copy = [.. bytes];
            foreach ((int at, byte value) in changes)
            {
                copy[at % copy.Length] = value;
            }
            return copy;
        })),
        "truncated body" => Wrap(Gen.Select<byte[], double, bool, byte[]>(ValidPacket, Gen.Double.Unit, Gen.Bool, static (bytes, cut, fixLength) =>
        {
            (byte first, byte[] body) = Parse(bytes);
            int keep = (int)(cut * body.Length);
            // Either the Remaining Length is made to match (the body itself is cut short) or it still
            // announces the whole body (the frame is incomplete).
            return fixLength ? Frame(first, body.AsSpan(0, keep)) : bytes[..(bytes.Length - body.Length + keep)];
        })),
        "inserted and deleted bytes" => Wrap(Gen.Select<byte[], int, int, byte[], bool, byte[]>(ValidPacket, Gen.Int[0, int.MaxValue], Gen.Int[-4, 4], Interesting.Array[4], Gen.Bool,
            static (bytes, at, delta, inserted, fixLength) =>
            {
                (byte first, byte[] body) = Parse(bytes);
                int position = body.Length == 0 ? 0 : at % (body.Length + 1);
                byte[] changed = delta >= 0
                    ? [.. body.AsSpan(0, position), .. inserted.AsSpan(0, delta), .. body.AsSpan(position)]
                    : [.. body.AsSpan(0, position), .. body.AsSpan(Math.Min(body.Length, position - delta))];
                return fixLength ? Frame(first, changed) : [.. bytes.AsSpan(0, bytes.Length - body.Length), .. changed];
            })),
        "remaining length of another packet" => Wrap(Gen.Select<byte[], byte[], bool, byte[]>(ValidPacket, ValidPacket, Gen.Bool, static (a, b, appendOther) =>
        {
            (byte first, byte[] body) = Parse(a);
            (_, byte[] otherBody) = Parse(b);
            byte[] header = [first, .. VariableByteIntegerBytes(otherBody.Length)];
            return appendOther ? [.. header, .. body, .. otherBody] : [.. header, .. body];
        })),
        "huge or malformed remaining length" => Wrap(Gen.Select<byte[], byte[], int, byte[]>(ValidPacket, HugeOrMalformedLength, Gen.Int[0, 24], static (valid, length, keep) =>
        {
            (byte first, byte[] body) = Parse(valid);
            return [first, .. length, .. body.AsSpan(0, Math.Min(keep, body.Length))];
        })),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>A first byte of any type with its usual flags (or any flags), a Remaining Length near the body's, a random body.</summary>
    private static readonly Gen<byte[]> PlausibleHeader = Gen.Select<int, int, byte[], int, byte[]>(Gen.Int[1, 15], Gen.Frequency((3, Gen.Const(-1)), (1, Gen.Int[0, 15])),
        Gen.Frequency((3, Interesting), (1, Gen.Byte)).Array[0, 40], Gen.Int[-2, 2],
        static (type, flags, body, skew) =>
        {
            // PUBREL, SUBSCRIBE, UNSUBSCRIBE need 0010; a QoS 1 PUBLISH has it too.
            int usualFlags = type is 3 or 6 or 8 or 10 ? 0b0010 : 0;
            byte first = (byte)((type << 4) | (flags < 0 ? usualFlags : flags));
            return [first, .. VariableByteIntegerBytes(Math.Max(0, body.Length + skew)), .. body];
        });

    private static readonly Gen<byte[]> HugeOrMalformedLength = Gen.OneOf(
        Gen.OneOf(VariableByteInteger.MaxValue, 2_097_152, 16_384, 65_535, 1_000_000, 268_435_000).Select(VariableByteIntegerBytes),
        Gen.Int[128, VariableByteInteger.MaxValue].Select(VariableByteIntegerBytes),
        Gen.OneOf<byte[]>([0xFF, 0xFF, 0xFF, 0xFF, 0x7F], [0x80, 0x80, 0x80, 0x80, 0x01], [0x80, 0x00], [0xFF, 0x80, 0x00], [0x80, 0x80, 0x80, 0x00], [0xFF, 0xFF, 0xFF, 0xFF]));

    private static Gen<HostileInput> Wrap(Gen<byte[]> bytes) =>
        Gen.Select(bytes, Split, MaximumPacketSize, static (b, split, max) => new HostileInput(b, split, max));

    /// <summary>Splits a valid packet into its first byte and its body.</summary>
    private static (byte First, byte[] Body) Parse(byte[] packet)
    {
        int i = 1;
        while ((packet[i] & 0x80) != 0)
        {
            i++;
        }
        return (packet[0], packet[(i + 1)..]);
    }

    private static byte[] Frame(byte first, ReadOnlySpan<byte> body) => [first, .. VariableByteIntegerBytes(body.Length), .. body];

    private static byte[] VariableByteIntegerBytes(int value)
    {
        Span<byte> buffer = stackalloc byte[VariableByteInteger.MaxSize];
        return buffer[..VariableByteInteger.Write(buffer, value)].ToArray();
    }
}
