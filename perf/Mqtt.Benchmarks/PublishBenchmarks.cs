using System.Buffers;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Mqtt.Codec;
using MQTTnet.Formatter;
using MQTTnet.Formatter.V5;
using MQTTnet.Packets;

namespace Mqtt.Benchmarks;

/// <summary>
/// PUBLISH decode and encode, MqttCore against MQTTnet 5.2's V5 encoder and decoder (the baseline of each pair),
/// at QoS 0 and 1, 64 B and 1 KiB payloads, with and without properties (Message Expiry Interval,
/// Content Type and two User Properties). Buffers are reused, so the numbers are steady state.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
public class PublishBenchmarks
{
    private PublishPacket _ours;
    private MqttPublishPacket _theirs = null!;
    private WirePacket _wire = null!;
    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private readonly MqttV5PacketEncoder _encoder = new(new MqttBufferWriter(64 * 1024, 64 * 1024));
    private readonly MqttV5PacketDecoder _decoder = new();

    [Params(0, 1)]
    public int QoS { get; set; }

    [Params(64, 1024)]
    public int PayloadSize { get; set; }

    [Params(false, true)]
    public bool WithProperties { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[] payload = SamplePackets.Payload(PayloadSize);
        _ours = SamplePackets.OurPublish((QualityOfService)QoS, payload, WithProperties);
        _theirs = SamplePackets.TheirPublish((QualityOfService)QoS, payload, WithProperties);
        _wire = WirePacket.From(w => _ours.Write(w, ProtocolVersion.V500));
        Check();
    }

    [Benchmark(Baseline = true, Description = "MQTTnet")]
    [BenchmarkCategory("Decode")]
    public int DecodeMqttNet()
    {
        var packet = (MqttPublishPacket)_decoder.Decode(_wire.Received);
        return packet.PacketIdentifier + (int)packet.Payload.Length;
    }

    [Benchmark(Description = "MqttCore")]
    [BenchmarkCategory("Decode")]
    public int DecodeMqttCore()
    {
        MqttFrameReader.TryRead(_wire.Sequence, int.MaxValue, out MqttFrame frame, out _);
        PublishPacket.TryRead(frame, ProtocolVersion.V500, out PublishPacket packet, out _);
        return packet.PacketId + (int)packet.Payload.Length;
    }

    [Benchmark(Baseline = true, Description = "MQTTnet")]
    [BenchmarkCategory("Encode")]
    public int EncodeMqttNet() => _encoder.Encode(_theirs).Length;

    /// <summary>
    /// MQTTnet's encoder leaves the payload where it is and returns it beside the header; this row adds the copy
    /// into one output buffer that MqttCore's Write makes, for a like-for-like comparison.
    /// </summary>
    [Benchmark(Description = "MQTTnet + copy")]
    [BenchmarkCategory("Encode")]
    public int EncodeMqttNetIntoBuffer()
    {
        MqttPacketBuffer buffer = _encoder.Encode(_theirs);
        _output.ResetWrittenCount();
        _output.Write(buffer.Packet);
        foreach (ReadOnlyMemory<byte> segment in buffer.Payload)
        {
            _output.Write(segment.Span);
        }
        return _output.WrittenCount;
    }

    [Benchmark(Description = "MqttCore")]
    [BenchmarkCategory("Encode")]
    public int EncodeMqttCore()
    {
        _output.ResetWrittenCount();
        _ours.Write(_output, ProtocolVersion.V500);
        return _output.WrittenCount;
    }

    /// <summary>Both codecs must agree on the packet before their speeds mean anything.</summary>
    private void Check()
    {
        if (EncodeMqttNet() != EncodeMqttCore() || EncodeMqttNetIntoBuffer() != EncodeMqttCore() || EncodeMqttCore() != _wire.Bytes.Length)
        {
            throw new InvalidOperationException("MQTTnet and MqttCore encode PUBLISH to different sizes");
        }
        var decoded = (MqttPublishPacket)_decoder.Decode(_wire.Received);
        if (decoded.Topic != SamplePackets.Topic || decoded.Payload.Length != PayloadSize || decoded.PacketIdentifier != _ours.PacketId
            || decoded.ContentType != (WithProperties ? SamplePackets.ContentType : null) || (decoded.UserProperties?.Count ?? 0) != (WithProperties ? 2 : 0))
        {
            throw new InvalidOperationException("MQTTnet decodes MqttCore's PUBLISH differently");
        }
        if (DecodeMqttCore() != _ours.PacketId + PayloadSize)
        {
            throw new InvalidOperationException("MqttCore does not decode its own PUBLISH");
        }
    }
}
