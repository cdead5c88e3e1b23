using System.Buffers;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Mqtt.Codec;
using MQTTnet.Formatter;
using MQTTnet.Formatter.V5;
using MQTTnet.Packets;

namespace Mqtt.Benchmarks;

/// <summary>
/// PUBACK, CONNECT with SCRAM authentication properties, and SUBSCRIBE with four filters: decode and encode,
/// MqttCore against MQTTnet 5.2's V5 encoder and decoder (the baseline of each pair).
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class ControlPacketBenchmarks
{
    private PubAckPacket _ourPubAck;
    private ConnectPacket _ourConnect;
    private SubscribePacket _ourSubscribe;
    private MqttPubAckPacket _theirPubAck = null!;
    private MqttConnectPacket _theirConnect = null!;
    private MqttSubscribePacket _theirSubscribe = null!;
    private WirePacket _pubAck = null!;
    private WirePacket _connect = null!;
    private WirePacket _subscribe = null!;
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private readonly MqttV5PacketEncoder _encoder = new(new MqttBufferWriter(4096, 64 * 1024));
    private readonly MqttV5PacketDecoder _decoder = new();

    [GlobalSetup]
    public void Setup()
    {
        _ourPubAck = SamplePackets.OurPubAck();
        _ourConnect = SamplePackets.OurConnect();
        _ourSubscribe = SamplePackets.OurSubscribe();
        _theirPubAck = SamplePackets.TheirPubAck();
        _theirConnect = SamplePackets.TheirConnect();
        _theirSubscribe = SamplePackets.TheirSubscribe();
        _pubAck = WirePacket.From(w => _ourPubAck.Write(w, ProtocolVersion.V500));
        _connect = WirePacket.From(_ourConnect.Write);
        _subscribe = WirePacket.From(w => _ourSubscribe.Write(w, ProtocolVersion.V500));
        Check();
    }

    [Benchmark(Baseline = true, Description = "MQTTnet")]
    [BenchmarkCategory("PUBACK decode")]
    public int PubAckDecodeMqttNet() => ((MqttPubAckPacket)_decoder.Decode(_pubAck.Received)).PacketIdentifier;

    [Benchmark(Description = "MqttCore")]
    [BenchmarkCategory("PUBACK decode")]
    public int PubAckDecodeMqttCore()
    {
        MqttFrameReader.TryRead(_pubAck.Sequence, int.MaxValue, out MqttFrame frame, out _);
        PubAckPacket.TryRead(frame, ProtocolVersion.V500, out PubAckPacket packet, out _);
        return packet.PacketId;
    }

    [Benchmark(Baseline = true, Description = "MQTTnet")]
    [BenchmarkCategory("PUBACK encode")]
    public int PubAckEncodeMqttNet() => _encoder.Encode(_theirPubAck).Length;

    [Benchmark(Description = "MqttCore")]
    [BenchmarkCategory("PUBACK encode")]
    public int PubAckEncodeMqttCore()
    {
        _output.ResetWrittenCount();
        _ourPubAck.Write(_output, ProtocolVersion.V500);
        return _output.WrittenCount;
    }

    [Benchmark(Baseline = true, Description = "MQTTnet")]
    [BenchmarkCategory("CONNECT decode")]
    public int ConnectDecodeMqttNet() => ((MqttConnectPacket)_decoder.Decode(_connect.Received)).KeepAlivePeriod;

    [Benchmark(Description = "MqttCore")]
    [BenchmarkCategory("CONNECT decode")]
    public int ConnectDecodeMqttCore()
    {
        MqttFrameReader.TryRead(_connect.Sequence, int.MaxValue, out MqttFrame frame, out _);
        ConnectPacket.TryRead(frame, out ConnectPacket packet, out _);
        return packet.KeepAlive;
    }

    [Benchmark(Baseline = true, Description = "MQTTnet")]
    [BenchmarkCategory("CONNECT encode")]
    public int ConnectEncodeMqttNet() => _encoder.Encode(_theirConnect).Length;

    [Benchmark(Description = "MqttCore")]
    [BenchmarkCategory("CONNECT encode")]
    public int ConnectEncodeMqttCore()
    {
        _output.ResetWrittenCount();
        _ourConnect.Write(_output);
        return _output.WrittenCount;
    }

    [Benchmark(Baseline = true, Description = "MQTTnet")]
    [BenchmarkCategory("SUBSCRIBE decode")]
    public int SubscribeDecodeMqttNet() => ((MqttSubscribePacket)_decoder.Decode(_subscribe.Received)).TopicFilters.Count;

    [Benchmark(Description = "MqttCore")]
    [BenchmarkCategory("SUBSCRIBE decode")]
    public int SubscribeDecodeMqttCore()
    {
        MqttFrameReader.TryRead(_subscribe.Sequence, int.MaxValue, out MqttFrame frame, out _);
        SubscribePacket.TryRead(frame, ProtocolVersion.V500, out SubscribePacket packet, out _);
        return packet.Subscriptions.Count;
    }

    [Benchmark(Baseline = true, Description = "MQTTnet")]
    [BenchmarkCategory("SUBSCRIBE encode")]
    public int SubscribeEncodeMqttNet() => _encoder.Encode(_theirSubscribe).Length;

    [Benchmark(Description = "MqttCore")]
    [BenchmarkCategory("SUBSCRIBE encode")]
    public int SubscribeEncodeMqttCore()
    {
        _output.ResetWrittenCount();
        _ourSubscribe.Write(_output, ProtocolVersion.V500);
        return _output.WrittenCount;
    }

    /// <summary>Both codecs must agree on each packet before their speeds mean anything.</summary>
    private void Check()
    {
        Require(PubAckEncodeMqttNet() == PubAckEncodeMqttCore(), "PUBACK sizes differ");
        Require(ConnectEncodeMqttNet() == ConnectEncodeMqttCore(), "CONNECT sizes differ");
        Require(SubscribeEncodeMqttNet() == SubscribeEncodeMqttCore(), "SUBSCRIBE sizes differ");
        Require(PubAckDecodeMqttNet() == SamplePackets.PacketId && PubAckDecodeMqttCore() == SamplePackets.PacketId, "PUBACK decodes differently");
        var connect = (MqttConnectPacket)_decoder.Decode(_connect.Received);
        Require(connect.ClientId == SamplePackets.ClientId && connect.Username == SamplePackets.UserName
            && connect.AuthenticationMethod == SamplePackets.AuthenticationMethod
            && connect.AuthenticationData.AsSpan().SequenceEqual(SamplePackets.AuthenticationData)
            && connect.SessionExpiryInterval == SamplePackets.SessionExpiryInterval && ConnectDecodeMqttCore() == 60, "CONNECT decodes differently");
        var subscribe = (MqttSubscribePacket)_decoder.Decode(_subscribe.Received);
        Require(subscribe.TopicFilters.Count == 4 && subscribe.PacketIdentifier == SamplePackets.SubscribePacketId
            && SubscribeDecodeMqttCore() == 4, "SUBSCRIBE decodes differently");
        Require(_encoder.Encode(_theirSubscribe).Packet.AsSpan().SequenceEqual(_subscribe.Bytes), "SUBSCRIBE bytes differ");
        Require(_encoder.Encode(_theirPubAck).Packet.AsSpan().SequenceEqual(_pubAck.Bytes), "PUBACK bytes differ");
        Require(_encoder.Encode(_theirConnect).Packet.AsSpan().SequenceEqual(_connect.Bytes), "CONNECT bytes differ");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
