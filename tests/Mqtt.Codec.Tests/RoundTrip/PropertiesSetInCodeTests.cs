using System.Buffers;
using System.Text;
using static Mqtt.Codec.Tests.Wire;

namespace Mqtt.Codec.Tests;

/// <summary>
/// Properties set or cleared in code on top of a decoded property block (a broker rewriting what it forwards),
/// and set several times over: the newest value wins in the getters, in GetSize and on the wire, and copies
/// made before a set keep what they had.
/// </summary>
public class PropertiesSetInCodeTests
{
    private const ProtocolVersion V5 = ProtocolVersion.V500;

    private static readonly byte[] s_received = Packet(0x30, Str("a/b"), Props(
        "02 0000003c", "03" + Str("text/plain"), "08" + Str("re/ply"), "09 0002 abcd", "26" + Str("k1") + Str("v1"), "26" + Str("k2") + Str("v2")),
        "cafe");

    private static PublishPacket Received()
    {
        MqttFrameReader.TryRead(new ReadOnlySequence<byte>(s_received), int.MaxValue, out MqttFrame frame, out _);
        Assert.True(PublishPacket.TryRead(frame, V5, out PublishPacket packet, out DecodeError error), error.Message);
        return packet;
    }

    private static byte[] Bytes(PublishPacket packet)
    {
        var output = new ArrayBufferWriter<byte>();
        packet.Write(output, V5);
        Assert.Equal(packet.GetSize(V5), output.WrittenCount);
        return output.WrittenSpan.ToArray();
    }

    private static string Text(ReadOnlySequence<byte>? value) => value is { } v ? Encoding.UTF8.GetString(v) : "(none)";

    [Fact]
    public void Received_properties_write_back_unchanged()
    {
        Assert.Equal(Hex.Of(s_received), Hex.Of(Bytes(Received())));
    }

    [Fact]
    public void Values_set_on_a_received_block_replace_its_own_and_the_rest_of_the_block_is_kept()
    {
        PublishPacket received = Received();
        MqttProperties properties = received.Properties;
        properties.ContentType = MqttUtf8.Encode("application/json");
        properties.ResponseTopic = null;
        properties.UserProperties = UserProperties.Create(("k3", "v3"));
        PublishPacket rewritten = received with { Properties = properties };

        byte[] expected = Packet(0x30, Str("a/b"), Props(
            "02 0000003c", "03" + Str("application/json"), "09 0002 abcd", "26" + Str("k3") + Str("v3")), "cafe");
        Assert.Equal(Hex.Of(expected), Hex.Of(Bytes(rewritten)));
        Assert.Equal("application/json", Text(rewritten.Properties.ContentType));
        Assert.Equal("(none)", Text(rewritten.Properties.ResponseTopic));
        Assert.Equal(1, rewritten.Properties.UserProperties.Count);

        // The packet the copy was made from is untouched.
        Assert.Equal("text/plain", Text(received.Properties.ContentType));
        Assert.Equal(Hex.Of(s_received), Hex.Of(Bytes(received)));
    }

    [Fact]
    public void Clearing_every_string_and_user_property_of_a_received_block_leaves_only_its_numbers()
    {
        PublishPacket received = Received();
        MqttProperties properties = received.Properties;
        properties.ContentType = null;
        properties.ResponseTopic = null;
        properties.CorrelationData = null;
        properties.UserProperties = default;
        byte[] expected = Packet(0x30, Str("a/b"), Props("02 0000003c"), "cafe");
        Assert.Equal(Hex.Of(expected), Hex.Of(Bytes(received with { Properties = properties })));
        Assert.Equal(0, properties.UserProperties.Count);
    }

    [Fact]
    public void The_newest_of_several_sets_wins_and_a_final_clear_removes_the_property()
    {
        var properties = new MqttProperties
        {
            ContentType = MqttUtf8.Encode("first"),
            CorrelationData = new ReadOnlySequence<byte>([1, 2, 3]),
        };
        properties.ContentType = MqttUtf8.Encode("second, longer");
        MqttProperties withSecond = properties;
        properties.ContentType = null;
        properties.CorrelationData = new ReadOnlySequence<byte>([4]);

        var packet = new PublishPacket { Topic = MqttUtf8.Encode("t"), Properties = properties };
        Assert.Equal(Hex.Of(Packet(0x30, Str("t"), Props("09 0001 04"))), Hex.Of(Bytes(packet)));
        Assert.Equal(Hex.Of(Packet(0x30, Str("t"), Props("03" + Str("second, longer"), "09 0003 010203"))),
            Hex.Of(Bytes(packet with { Properties = withSecond })));
    }

    [Fact]
    public void A_value_spanning_segments_is_written_whole()
    {
        var packet = new PublishPacket
        {
            Topic = MqttUtf8.Encode("t"),
            Properties = new MqttProperties { CorrelationData = SegmentedSequence.Split([1, 2, 3, 4], 1, 3) },
        };
        Assert.Equal(Hex.Of(Packet(0x30, Str("t"), Props("09 0004 01020304"))), Hex.Of(Bytes(packet)));
    }
}
