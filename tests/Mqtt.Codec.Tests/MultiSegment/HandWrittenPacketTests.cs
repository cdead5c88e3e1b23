using System.Buffers;
using static Mqtt.Codec.Tests.Wire;

namespace Mqtt.Codec.Tests;

/// <summary>
/// In the style of System.Text.Json's Utf8JsonReaderTests.MultiSegment: each hand-written packet, valid or
/// not, is read again split into two segments at every offset, into three at every pair of offsets, one
/// byte per segment and behind an empty first segment, and every reading must give the same outcome
/// (fields, or error code and offset) as the contiguous one.
/// </summary>
public class HandWrittenPacketTests
{
    private const ProtocolVersion V5 = ProtocolVersion.V500;
    private const ProtocolVersion V311 = ProtocolVersion.V311;

    private static readonly (string Name, ProtocolVersion Version, byte[] Bytes)[] Cases =
    [
        ("CONNECT 5 all fields", V5, Connect(V5, 0xEE, Str("client-ü"), Props("18 0000000a", "26" + Str("k") + Str("v")), Str("w/t"), Str("bye"), Str("user"), Bin([1, 2, 3]))),
        ("CONNECT 5 properties", V5, Packet(0x10, ConnectHeader(V5, 0x02), Props("11 0000003c", "21 000a", "27 00010000", "22 0005", "19 01", "17 00", "15" + Str("SCRAM-SHA-256"), "16 0004 6e2c2c6e"), Str("c"))),
        ("CONNECT 3.1.1 will and credentials", V311, Connect(V311, 0xF6, Str("c"), Str("will/€"), Str("gone"), Str("u"), Bin([0x70]))),
        ("CONNACK 5 properties", V5, Packet(0x20, "01 00", Props("12" + Str("assigned"), "13 001e", "24 01", "25 00", "28 01", "29 00", "2a 01", "1f" + Str("ok")))),
        ("CONNACK 3.1.1 refused", V311, Hex.Parse("20 02 00 05")),
        ("PUBLISH 5 QoS 2 with properties", V5, Packet(0x3d, Str("sport/tennis/€"), "beef", Props("01 01", "02 0000012c", "03" + Str("text/plain"), "08" + Str("r/t"), "09 0003 010203", "0b 8002", "0b 01", "23 0007", "26" + Str("a") + Str("b")), "7061796c6f6164")),
        ("PUBLISH 5 alias only", V5, Packet(0x30, Str(""), Props("23 0001"), "00ff")),
        ("PUBLISH 3.1.1 QoS 1 200-byte payload", V311, Packet(0x32, Str("a/b"), "0001", Hex.Of(new byte[200]))),
        ("PUBACK 5 short", V5, Hex.Parse("40 02 1234")),
        ("PUBACK 5 reason only", V5, Hex.Parse("40 03 1234 10")),
        ("PUBREC 5 reason and properties", V5, Packet(0x50, "1234 80", Props("1f" + Str("no"), "26" + Str("k") + Str("v")))),
        ("PUBREL 5 not found", V5, Hex.Parse("62 03 0001 92")),
        ("PUBCOMP 3.1.1", V311, Hex.Parse("70 02 ffff")),
        ("SUBSCRIBE 5 options and identifier", V5, Packet(0x82, "000a", Props("0b ac02", "26" + Str("k") + Str("v")), Str("a/+/c"), "2d", Str("$share/g/x/#"), "1a", Str("#"), "00")),
        ("SUBSCRIBE 3.1.1", V311, Packet(0x82, "0001", Str("a/b"), "01", Str("c/#"), "02")),
        ("SUBACK 5", V5, Packet(0x90, "000a", Props("1f" + Str("partly")), "01 02 80 8f a2")),
        ("SUBACK 3.1.1", V311, Hex.Parse("90 05 0001 00 01 80")),
        ("UNSUBSCRIBE 5", V5, Packet(0xa2, "0002", Props("26" + Str("uk") + Str("uv")), Str("a/b"), Str("c/+/d"))),
        ("UNSUBACK 5", V5, Packet(0xb0, "0002", Props(), "00 11")),
        ("UNSUBACK 3.1.1", V311, Hex.Parse("b0 02 0002")),
        ("PINGREQ", V5, Hex.Parse("c0 00")),
        ("PINGRESP", V311, Hex.Parse("d0 00")),
        ("DISCONNECT 5 properties", V5, Packet(0xe0, "8e", Props("11 00000000", "1c" + Str("other:1883"), "1f" + Str("taken over")))),
        ("AUTH 5 continue", V5, Packet(0xf0, "18", Props("15" + Str("SCRAM-SHA-256"), "16 0004 722c2c6e"))),
        // Refused ones: the error must not depend on where the input is cut.
        ("bad: reserved flags", V5, Hex.Parse("41 02 0001")),
        ("bad: over-long remaining length", V5, Hex.Parse("c0 8000")),
        ("bad: ill-formed UTF-8 topic across a cut", V5, Packet(0x30, StrHex("612fe282"), Props())),
        ("bad: U+0000 in a user property value", V5, Packet(0x30, Str("a"), Props("26" + Str("k") + StrHex("00")))),
        ("bad: wildcard in topic", V311, Packet(0x30, Str("a/+"))),
        ("bad: duplicate property", V5, Packet(0x20, "00 00", Props("21 000a", "21 000b"))),
        ("bad: property not allowed", V5, Packet(0x40, "0001 00", Props("23 0001"))),
        ("bad: topic filter", V5, Packet(0x82, "0001", Props(), Str("a/#/b"), "00")),
        ("bad: no local on shared", V5, Packet(0x82, "0001", Props(), Str("$share/g/a"), "04")),
        ("bad: remaining length too short", V311, Hex.Parse("30 03 0002 61")),
        ("bad: remaining length too long", V5, Hex.Parse("62 05 0001 00 00 00")),
        ("bad: protocol version", V5, Packet(0x10, "0004 4d515454 06 02 003c 00", Str("c"))),
    ];

    public static TheoryData<string> Names() => new(Array.ConvertAll(Cases, static c => c.Name));

    private static (ProtocolVersion Version, byte[] Bytes) Get(string name) => Array.Find(Cases, c => c.Name == name) is var c ? (c.Version, c.Bytes) : default;

    [Theory]
    [MemberData(nameof(Names))]
    public void Reads_the_same_split_into_two_segments_at_every_offset(string name)
    {
        (ProtocolVersion version, byte[] bytes) = Get(name);
        string expected = Expected(name, version, bytes);
        for (int i = 0; i <= bytes.Length; i++)
        {
            AssertSame(expected, SegmentedSequence.Split(bytes, i), version, $"{name}, split at {i}");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Reads_the_same_split_into_three_segments_at_every_pair_of_offsets(string name)
    {
        (ProtocolVersion version, byte[] bytes) = Get(name);
        string expected = Expected(name, version, bytes);
        for (int i = 0; i <= bytes.Length; i++)
        {
            for (int j = i; j <= bytes.Length; j++)
            {
                AssertSame(expected, SegmentedSequence.Split(bytes, i, j), version, $"{name}, split at {i} and {j}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Reads_the_same_one_byte_per_segment_and_after_an_empty_segment(string name)
    {
        (ProtocolVersion version, byte[] bytes) = Get(name);
        string expected = Expected(name, version, bytes);
        AssertSame(expected, SegmentedSequence.OneBytePerSegment(bytes), version, $"{name}, one byte per segment");
        AssertSame(expected, SegmentedSequence.Split(bytes, 0, 0, 1, 1), version, $"{name}, behind empty segments");
    }

    /// <summary>
    /// All valid packets back to back, arriving in chunks of every size from 1 to 17 bytes, read by a loop that
    /// follows the Bedrock contract (keep what was not consumed, read again only when more arrived): every
    /// packet comes out once, in order, with its fields.
    /// </summary>
    [Fact]
    public void Packets_streamed_in_chunks_of_every_size_come_out_in_order()
    {
        var valid = Array.FindAll(Cases, c => !c.Name.StartsWith("bad:", StringComparison.Ordinal) && c.Version == V5);
        byte[] stream = [.. valid.SelectMany(c => c.Bytes)];
        for (int chunk = 1; chunk <= 17; chunk++)
        {
            var buffered = new List<byte>();
            var cuts = new List<int>();
            int next = 0;
            for (int offset = 0; offset < stream.Length; offset += chunk)
            {
                cuts.Add(buffered.Count);
                buffered.AddRange(stream.AsSpan(offset, Math.Min(chunk, stream.Length - offset)).ToArray());
                while (true)
                {
                    ReadOnlySequence<byte> input = SegmentedSequence.Split([.. buffered], [.. cuts.Where(c => c <= buffered.Count)]);
                    DecodeResult result = PacketDecoder.Decode(input, V5);
                    if (result.Status == DecodeStatus.NeedMoreData)
                    {
                        Assert.True(result.Consumed == 0 && result.ExaminedToEnd);
                        break;
                    }
                    Assert.True(result.Status == DecodeStatus.Complete, $"chunk {chunk}, packet {next}: {result.Outcome}");
                    PacketFields.AssertEqual(
                        PacketDecoder.Decode(valid[next].Bytes, V5).CompletePacket, result.CompletePacket, $"chunk {chunk}, {valid[next].Name}");
                    next++;
                    buffered.RemoveRange(0, (int)result.Consumed);
                    cuts = cuts.ConvertAll(c => Math.Max(0, c - (int)result.Consumed));
                }
            }
            Assert.Equal(valid.Length, next);
            Assert.Empty(buffered);
        }
    }

    private static string Expected(string name, ProtocolVersion version, byte[] bytes)
    {
        DecodeResult result = PacketDecoder.Decode(bytes, version);
        bool bad = name.StartsWith("bad:", StringComparison.Ordinal);
        Assert.True(bad ? result.Status == DecodeStatus.Invalid : result.Status == DecodeStatus.Complete, $"{name}: {result.Outcome}");
        if (!bad)
        {
            // Written again (properties then come in identifier order) it reads back the same.
            AnyPacket packet = result.CompletePacket;
            byte[] rewritten = packet.ToBytes(packet is AnyPacket.Connect c ? c.Packet.Version : version);
            PacketFields.AssertEqual(packet, PacketDecoder.Decode(rewritten, version).CompletePacket, name);
        }
        return result.Outcome;
    }

    private static void AssertSame(string expected, in ReadOnlySequence<byte> input, ProtocolVersion version, string context)
    {
        string actual = PacketDecoder.Decode(input, version).Outcome;
        Assert.True(actual == expected, $"{context}: got\n{actual}\nexpected\n{expected}");
    }
}
