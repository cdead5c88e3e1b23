using System.Buffers;
using CsCheck;

namespace Mqtt.Codec.Tests;

/// <summary>
/// CsCheck round trips for every packet type at every protocol version it exists in: generated packets
/// are written, framed and read back with equal fields, whatever the segmentation of the input and
/// however early the input stops. Sample size: MQTTCORE_PROPERTY_ITERATIONS (see README.md).
/// </summary>
public class RoundTripTests
{
    public static TheoryData<PacketType, ProtocolVersion> Kinds()
    {
        var data = new TheoryData<PacketType, ProtocolVersion>();
        foreach ((PacketType type, ProtocolVersion version) in PacketGenerators.AllKinds())
        {
            data.Add(type, version);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Written_packet_reads_back_with_equal_fields_and_GetSize_is_the_bytes_written(PacketType type, ProtocolVersion version)
    {
        PacketGenerators.For(type, version).Sample(packet =>
        {
            byte[] bytes = packet.ToBytes(version);
            Assert.Equal(packet.GetSize(version), bytes.Length);
            Assert.Equal((int)type, bytes[0] >> 4);

            // The same bytes whatever spans the output hands out.
            var minimal = new MinimalBufferWriter();
            packet.Write(minimal, version);
            Assert.Equal(Hex.Of(bytes), Hex.Of(minimal.WrittenBytes));

            DecodeResult result = PacketDecoder.Decode(bytes, version);
            Assert.Equal(bytes.Length, result.FrameLength);
            Assert.Equal(bytes.Length, result.Consumed);
            PacketFields.AssertEqual(packet, result.CompletePacket);

            // What was read writes back to the very same bytes.
            Assert.Equal(Hex.Of(bytes), Hex.Of(result.CompletePacket.ToBytes(version)));
        }, iter: TestSettings.PropertyIterations);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Packet_followed_by_the_next_one_consumes_exactly_its_own_bytes(PacketType type, ProtocolVersion version)
    {
        Gen.Select(PacketGenerators.For(type, version), PacketGenerators.For(type, version)).Sample((first, second) =>
        {
            byte[] a = first.ToBytes(version);
            byte[] b = second.ToBytes(version);
            byte[] both = [.. a, .. b];
            DecodeResult result = PacketDecoder.Decode(SegmentedSequence.Split(both, a.Length / 2, a.Length + b.Length / 2), version);
            Assert.Equal(a.Length, result.Consumed);
            PacketFields.AssertEqual(first, result.CompletePacket);
            DecodeResult next = PacketDecoder.Decode(new ReadOnlySequence<byte>(both).Slice(result.Consumed), version);
            PacketFields.AssertEqual(second, next.CompletePacket);
        }, iter: Math.Max(1, TestSettings.PropertyIterations / 4));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Packet_split_at_every_offset_and_at_random_offsets_reads_the_same(PacketType type, ProtocolVersion version)
    {
        Gen<double[][]> multiSplits = Gen.Double.Unit.Array[1, 6].Array[4];
        Gen.Select(PacketGenerators.For(type, version), multiSplits).Sample((packet, splits) =>
        {
            byte[] bytes = packet.ToBytes(version);
            string expected = PacketDecoder.Decode(bytes, version).Outcome;
            Assert.StartsWith("Complete", expected, StringComparison.Ordinal);

            // Two segments, the cut at every offset (0 and the end give an empty first or last segment).
            for (int i = 0; i <= bytes.Length; i++)
            {
                AssertSameOutcome(expected, SegmentedSequence.Split(bytes, i), version, $"split at {i}");
            }
            AssertSameOutcome(expected, SegmentedSequence.OneBytePerSegment(bytes), version, "one byte per segment");
            foreach (double[] fractions in splits)
            {
                int[] offsets = SegmentedSequence.OffsetsFromFractions(bytes.Length, fractions);
                AssertSameOutcome(expected, SegmentedSequence.Split(bytes, offsets), version, $"split at {string.Join(",", offsets)}");
            }
        }, iter: TestSettings.PropertyIterations);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Packet_cut_short_anywhere_needs_more_data_consumes_nothing_and_examined_everything(PacketType type, ProtocolVersion version)
    {
        Gen.Select(PacketGenerators.For(type, version), Gen.Double.Unit).Sample((packet, cut) =>
        {
            byte[] bytes = packet.ToBytes(version);
            for (int length = 0; length < bytes.Length; length++)
            {
                AssertNeedsMoreData(new ReadOnlySequence<byte>(bytes, 0, length), version, length);
                // The same prefix, split somewhere inside it.
                int at = Math.Min(length, (int)(cut * (length + 1)));
                AssertNeedsMoreData(SegmentedSequence.Split(bytes.AsSpan(0, length), at), version, length);
            }
            // The hardest shape: every byte its own segment.
            ReadOnlySequence<byte> bytewise = SegmentedSequence.OneBytePerSegment(bytes);
            for (int length = 0; length < bytes.Length; length++)
            {
                AssertNeedsMoreData(bytewise.Slice(0, length), version, length);
            }
        }, iter: TestSettings.PropertyIterations);
    }

    /// <summary>
    /// Large packets: Remaining Lengths of three bytes, payloads written in several chunks by the writer.
    /// Too big to split at every offset, so split and cut at sampled offsets and at every header offset.
    /// </summary>
    [Theory]
    [InlineData(ProtocolVersion.V311)]
    [InlineData(ProtocolVersion.V500)]
    public void Large_publish_round_trips_split_and_cut_at_sampled_offsets(ProtocolVersion version)
    {
        Gen<AnyPacket> large = Gen.Select(PacketGenerators.For(PacketType.Publish, version), Gen.Int[16_384, 70_000], Gen.Byte,
            static (p, size, fill) =>
            {
                PublishPacket publish = ((AnyPacket.Publish)p).Packet;
                var payload = new byte[size];
                Array.Fill(payload, fill);
                payload[^1] = (byte)~fill;
                return AnyPacket.Of(publish with { Payload = new ReadOnlySequence<byte>(payload) });
            });
        Gen.Select(large, Gen.Int[0, int.MaxValue].Array[16]).Sample((packet, points) =>
        {
            byte[] bytes = packet.ToBytes(version);
            Assert.Equal(packet.GetSize(version), bytes.Length);
            var minimal = new MinimalBufferWriter();
            packet.Write(minimal, version);
            Assert.Equal(Hex.Of(bytes), Hex.Of(minimal.WrittenBytes));

            string expected = PacketDecoder.Decode(bytes, version).Outcome;
            PacketFields.AssertEqual(packet, PacketDecoder.Decode(bytes, version).CompletePacket);
            for (int length = 0; length < 8; length++)
            {
                AssertNeedsMoreData(new ReadOnlySequence<byte>(bytes, 0, length), version, length);
            }
            foreach (int point in points)
            {
                int offset = point % (bytes.Length + 1);
                AssertSameOutcome(expected, SegmentedSequence.Split(bytes, offset), version, $"split at {offset}");
                if (offset < bytes.Length)
                {
                    AssertNeedsMoreData(SegmentedSequence.Split(bytes.AsSpan(0, offset), offset / 2), version, offset);
                }
            }
            int[] many = SegmentedSequence.OffsetsFromFractions(bytes.Length, Array.ConvertAll(points, static p => p / (double)int.MaxValue));
            AssertSameOutcome(expected, SegmentedSequence.Split(bytes, many), version, "split at 16 offsets");
        }, iter: Math.Max(1, TestSettings.PropertyIterations / 20));
    }

    private static void AssertSameOutcome(string expected, in ReadOnlySequence<byte> input, ProtocolVersion version, string context)
    {
        string actual = PacketDecoder.Decode(input, version).Outcome;
        if (actual != expected)
        {
            Assert.Fail($"{context}: expected\n{expected}\nbut got\n{actual}");
        }
    }

    private static void AssertNeedsMoreData(in ReadOnlySequence<byte> input, ProtocolVersion version, int length)
    {
        DecodeResult result = PacketDecoder.Decode(input, version);
        if (result.Status != DecodeStatus.NeedMoreData || result.Consumed != 0 || !result.ExaminedToEnd)
        {
            Assert.Fail($"first {length} bytes: expected NeedMoreData, nothing consumed, examined to the end; got {result.Outcome}");
        }
    }
}
