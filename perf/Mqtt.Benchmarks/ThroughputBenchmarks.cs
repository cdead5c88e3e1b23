using System.Buffers;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Mqtt.Codec;

namespace Mqtt.Benchmarks;

/// <summary>
/// One million 1 KiB QoS 1 PUBLISH packets (MQTT 5, 16-byte topic, no properties) encoded back to back into
/// one buffer; each operation frames and decodes all of them. Once as one contiguous segment, once split into
/// 4 KiB segments as a Pipe delivers them, so packets straddle segment boundaries.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class ThroughputBenchmarks
{
    public const int PacketCount = 1_000_000;

    public const int PayloadSize = 1024;

    public const int SegmentSize = 4096;

    private ReadOnlySequence<byte> _contiguous;
    private ReadOnlySequence<byte> _segmented;

    /// <summary>Bytes one operation decodes; the GB/s column divides it by the mean time.</summary>
    public static long TotalBytes => (long)PacketCount * Sample().GetSize(ProtocolVersion.V500);

    [GlobalSetup]
    public void Setup()
    {
        PublishPacket packet = Sample();
        int size = packet.GetSize(ProtocolVersion.V500);
        var buffer = new byte[(long)size * PacketCount];
        var output = new ArrayBufferWriter<byte>(size);
        packet.Write(output, ProtocolVersion.V500);
        for (int i = 0; i < PacketCount; i++)
        {
            output.WrittenSpan.CopyTo(buffer.AsSpan(i * size));
        }
        _contiguous = new ReadOnlySequence<byte>(buffer);
        _segmented = BufferSegment.Split(buffer, SegmentSize);
        if (DecodeAll(_contiguous) != PacketCount || DecodeAll(_segmented) != PacketCount)
        {
            throw new InvalidOperationException("not every packet decoded");
        }
    }

    [Benchmark(Description = "1M x 1 KiB PUBLISH, one segment")]
    public int SingleSegment() => DecodeAll(_contiguous);

    [Benchmark(Description = "1M x 1 KiB PUBLISH, 4 KiB segments")]
    public int MultiSegment() => DecodeAll(_segmented);

    private static int DecodeAll(ReadOnlySequence<byte> input)
    {
        int decoded = 0;
        while (MqttFrameReader.TryRead(input, int.MaxValue, out MqttFrame frame, out _) == DecodeStatus.Complete
            && PublishPacket.TryRead(frame, ProtocolVersion.V500, out PublishPacket packet, out _))
        {
            decoded += packet.PacketId == SamplePackets.PacketId ? 1 : 0;
            input = input.Slice(frame.Length);
        }
        return decoded;
    }

    private static PublishPacket Sample() =>
        SamplePackets.OurPublish(QualityOfService.AtLeastOnce, SamplePackets.Payload(PayloadSize), withProperties: false);

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(new GigabytesPerSecondColumn(TotalBytes));
    }
}
