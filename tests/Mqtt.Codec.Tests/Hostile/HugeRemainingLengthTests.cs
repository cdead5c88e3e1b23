using System.Buffers;

namespace Mqtt.Codec.Tests;

/// <summary>
/// An untrusted Remaining Length must cost nothing until its bytes arrive, and the Maximum Packet Size
/// must be enforced from the fixed header alone.
/// </summary>
public class HugeRemainingLengthTests
{
    // PUBLISH QoS 0, Remaining Length 268,435,455 (FF FF FF 7F, 256 MB), then the start of a body.
    private static readonly byte[] HugePublishStart = Hex.Parse("30 ffffff7f 0003 612f62 68656c6c6f");

    [Fact]
    public void Remaining_length_of_256_MB_with_a_few_bytes_needs_more_data_and_allocates_nothing()
    {
        var contiguous = new ReadOnlySequence<byte>(HugePublishStart);
        ReadOnlySequence<byte> segmented = SegmentedSequence.OneBytePerSegment(HugePublishStart);
        ReadFrame(contiguous);
        ReadFrame(segmented);

        // Assertions stay out of the measured loop: xunit's own comparers allocate.
        int needMoreData = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1_000; i++)
        {
            needMoreData += ReadFrame(contiguous) == DecodeStatus.NeedMoreData ? 1 : 0;
            needMoreData += ReadFrame(segmented) == DecodeStatus.NeedMoreData ? 1 : 0;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(2_000, needMoreData);

        // 2,000 reads: anything proportional to the announced length (or even a few bytes a read) shows here.
        Assert.True(allocated < 1_024, $"{allocated} bytes allocated by 2,000 reads of a 256 MB header");
    }

    [Fact]
    public void Remaining_length_of_256_MB_reports_nothing_consumed_and_everything_examined()
    {
        var input = new ReadOnlySequence<byte>(HugePublishStart);
        DecodeResult result = PacketDecoder.Decode(input, ProtocolVersion.V500);
        Assert.Equal(DecodeStatus.NeedMoreData, result.Status);
        Assert.Equal(0, result.Consumed);
        Assert.True(result.ExaminedToEnd);
    }

    [Fact]
    public void Maximum_packet_size_is_refused_with_0x95_from_the_fixed_header_alone()
    {
        // Nothing but the fixed header: the size is known, the body has not arrived.
        DecodeResult result = PacketDecoder.Decode(Hex.Parse("30 ffffff7f"), ProtocolVersion.V500, maximumPacketSize: 1024 * 1024);
        Assert.Equal(DecodeStatus.Invalid, result.Status);
        Assert.Equal(ReasonCode.PacketTooLarge, result.Error.ReasonCode);
        Assert.Equal(1, result.Error.Offset);
        Assert.Equal(0, result.Consumed);
    }

    [Theory]
    [InlineData(130, DecodeStatus.Invalid)]
    [InlineData(131, DecodeStatus.NeedMoreData)]
    [InlineData(132, DecodeStatus.NeedMoreData)]
    public void Maximum_packet_size_counts_the_whole_packet_fixed_header_included(int maximumPacketSize, DecodeStatus expected)
    {
        // Remaining Length 128 takes two bytes: 1 + 2 + 128 = 131 bytes on the wire.
        DecodeResult result = PacketDecoder.Decode(Hex.Parse("30 8001 0001 61"), ProtocolVersion.V311, maximumPacketSize);
        Assert.Equal(expected, result.Status);
        if (expected == DecodeStatus.Invalid)
        {
            Assert.Equal(ReasonCode.PacketTooLarge, result.Error.ReasonCode);
        }
    }

    [Fact]
    public void Packet_of_exactly_the_maximum_size_is_read()
    {
        byte[] ping = Hex.Parse("c000");
        Assert.Equal(DecodeStatus.Complete, PacketDecoder.Decode(ping, ProtocolVersion.V500, maximumPacketSize: 2).Status);
        Assert.Equal(ReasonCode.PacketTooLarge, PacketDecoder.Decode(ping, ProtocolVersion.V500, maximumPacketSize: 1).Error.ReasonCode);
    }

    [Fact]
    public void Length_fields_inside_the_body_larger_than_the_body_allocate_nothing()
    {
        // A CONNECT whose protocol name claims 65,535 bytes, a PUBLISH whose topic does, and a property block
        // claiming 2 MB: each is refused as malformed without making room for the claimed bytes.
        byte[][] inputs =
        [
            Hex.Parse("10 04 ffff 4d51"),
            Hex.Parse("30 04 ffff 6162"),
            Hex.Parse("32 08 0001 61 0001 80808001"),
        ];
        foreach (byte[] input in inputs)
        {
            PacketDecoder.Decode(input, ProtocolVersion.V500);
        }
        int refused = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            foreach (byte[] input in inputs)
            {
                var sequence = new ReadOnlySequence<byte>(input);
                if (MqttFrameReader.TryRead(sequence, int.MaxValue, out MqttFrame frame, out _) != DecodeStatus.Complete)
                {
                    continue;
                }
                bool ok = frame.Type == PacketType.Connect
                    ? ConnectPacket.TryRead(frame, out _, out DecodeError error)
                    : PublishPacket.TryRead(frame, ProtocolVersion.V500, out _, out error);
                refused += !ok && error.ReasonCode == ReasonCode.MalformedPacket ? 1 : 0;
            }
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(300, refused);
        Assert.True(allocated < 1_024, $"{allocated} bytes allocated by 300 reads of packets with oversized length fields");
    }

    private static DecodeStatus ReadFrame(in ReadOnlySequence<byte> input)
    {
        SequencePosition consumed = input.Start;
        SequencePosition examined = input.Start;
        DecodeStatus status = MqttFrameReader.TryRead(input, int.MaxValue, ref consumed, ref examined, out _, out _);
        if (!consumed.Equals(input.Start) || !examined.Equals(input.End))
        {
            throw new Xunit.Sdk.XunitException("NeedMoreData must leave consumed at the start and examined at the end");
        }
        return status;
    }
}
