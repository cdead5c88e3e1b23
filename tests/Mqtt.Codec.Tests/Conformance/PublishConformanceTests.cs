using static Mqtt.Codec.Tests.ConformanceAssert;
using static Mqtt.Codec.Tests.Wire;

namespace Mqtt.Codec.Tests;

/// <summary>
/// PUBLISH and PUBREL (sections 3.3 and 3.6). In a PUBLISH with topic "a": the topic at 2, the Packet
/// Identifier (QoS 1, 2) at 5; at QoS 0 in MQTT 5 the Property Length at 5 and the first property at 6.
/// </summary>
public class PublishConformanceTests
{
    private const ProtocolVersion V5 = ProtocolVersion.V500;
    private const ProtocolVersion V311 = ProtocolVersion.V311;

    [Fact]
    public void MQTT5_3_3_1_2_dup_on_a_qos_0_publish_is_malformed()
    {
        Malformed(Packet(0x38, Str("a"), Props(), "6869"), V5, offset: 0);
        Malformed(Packet(0x39, Str("a"), Props()), V5, offset: 0);
        Assert.True(Accepted<AnyPacket.Publish>(Packet(0x3a, Str("a"), "0001", Props()), V5).Packet.Duplicate);
    }

    [Fact]
    public void MQTT311_3_3_1_2_dup_on_a_qos_0_publish_is_malformed()
    {
        Malformed(Packet(0x38, Str("a"), "6869"), V311, offset: 0);
        Assert.True(Accepted<AnyPacket.Publish>(Packet(0x3c, Str("a"), "0001"), V311).Packet.Duplicate);
    }

    [Theory]
    [InlineData(0x36)]
    [InlineData(0x37)]
    [InlineData(0x3e)]
    public void MQTT5_3_3_1_4_qos_3_is_malformed(byte first) => Malformed(Packet(first, Str("a"), "0001", Props(), "6869"), V5, offset: 0);

    [Theory]
    [InlineData(0x36)]
    [InlineData(0x3f)]
    public void MQTT311_3_3_1_4_qos_3_is_malformed(byte first) => Malformed(Packet(first, Str("a"), "0001", "6869"), V311, offset: 0);

    private static void AssertTopicFirstAndUtf8(ProtocolVersion version, string properties)
    {
        // Nothing at all where the topic must be; a length that runs past the packet; ill-formed UTF-8.
        Malformed(Hex.Parse("30 00"), version, offset: 2);
        Malformed(Hex.Parse("30 03 0005 61"), version, offset: 4);
        Malformed(Packet(0x30, StrHex("612f80"), properties, "6869"), version, offset: 2);
        var ok = Accepted<AnyPacket.Publish>(Packet(0x30, Str("a/ü"), properties, "6869"), version);
        Assert.Equal("a/ü", ok.Packet.TopicString);
        Assert.Equal("6869", Hex.Of(ok.Packet.Payload));
    }

    [Fact]
    public void MQTT5_3_3_2_1_topic_name_comes_first_and_is_a_utf8_string() => AssertTopicFirstAndUtf8(V5, Props());

    [Fact]
    public void MQTT311_3_3_2_1_topic_name_comes_first_and_is_a_utf8_string() => AssertTopicFirstAndUtf8(V311, "");

    public static TheoryData<string> TopicNamesWithWildcards => new("+", "#", "a/+", "a/#", "+/b", "a/b+", "a#", "sport/tennis/#");

    [Theory]
    [MemberData(nameof(TopicNamesWithWildcards))]
    public void MQTT5_3_3_2_2_topic_name_holding_a_wildcard_is_malformed(string topic) =>
        Malformed(Packet(0x30, Str(topic), Props()), V5, offset: 2);

    [Theory]
    [MemberData(nameof(TopicNamesWithWildcards))]
    public void MQTT311_3_3_2_2_topic_name_holding_a_wildcard_is_malformed(string topic) =>
        Malformed(Packet(0x30, Str(topic)), V311, offset: 2);

    [Fact]
    public void MQTT5_3_3_2_8_topic_alias_0_is_refused_as_topic_alias_invalid()
    {
        Refused(Packet(0x30, Str("a"), Props("23 0000")), V5, ReasonCode.TopicAliasInvalid, offset: 6);
        Assert.Equal((ushort)1, Accepted<AnyPacket.Publish>(Packet(0x30, Str("a"), Props("23 0001")), V5).Packet.Properties.TopicAlias);
        // An empty Topic Name is allowed when a Topic Alias stands for it.
        Assert.True(Accepted<AnyPacket.Publish>(Packet(0x30, Str(""), Props("23 0005")), V5).Packet.Topic.IsEmpty);
    }

    [Fact]
    public void MQTT5_3_3_2_13_response_topic_is_a_utf8_string()
    {
        Malformed(Packet(0x30, Str("a"), Props("08", StrHex("722fc0af"))), V5, offset: 7);
        Malformed(Packet(0x30, Str("a"), Props("08", StrHex("7200"))), V5, offset: 7);
        Assert.Equal("r/ü", MqttUtf8.GetString(Accepted<AnyPacket.Publish>(Packet(0x30, Str("a"), Props("08", Str("r/ü"))), V5).Packet.Properties.ResponseTopic!.Value));
    }

    [Theory]
    [InlineData("r/+")]
    [InlineData("#")]
    public void MQTT5_3_3_2_14_response_topic_holding_a_wildcard_is_malformed(string responseTopic)
    {
        Malformed(Packet(0x30, Str("a"), Props("08", Str(responseTopic))), V5, offset: 6);
        // In the Will Properties too (Response Topic is a Will property): CONNECT, Will Properties at 16.
        Malformed(Connect(V5, 0x06, Str("c"), Props("08", Str(responseTopic)), Str("w"), Str("x")), V5, offset: 17);
    }

    [Fact]
    public void MQTT5_4_7_3_1_an_empty_response_topic_is_a_protocol_error()
    {
        // It names the topic of the response, and a Topic Name is at least one character long.
        ProtocolError(Packet(0x30, Str("a"), Props("08", Str(""))), V5, offset: 6);
        ProtocolError(Connect(V5, 0x06, Str("c"), Props("08", Str("")), Str("w"), Str("x")), V5, offset: 17);
    }

    [Fact]
    public void MQTT5_3_3_2_19_content_type_is_a_utf8_string()
    {
        Malformed(Packet(0x30, Str("a"), Props("03", StrHex("74657874ff"))), V5, offset: 7);
        Assert.Equal("text/plain; charset=utf-8", MqttUtf8.GetString(
            Accepted<AnyPacket.Publish>(Packet(0x30, Str("a"), Props("03", Str("text/plain; charset=utf-8"))), V5).Packet.Properties.ContentType!.Value));
    }

    private static void AssertPubRelFlags(ProtocolVersion version)
    {
        foreach (byte first in new byte[] { 0x60, 0x61, 0x63, 0x64, 0x6a, 0x6f })
        {
            Malformed([first, 0x02, 0x00, 0x01], version, offset: 0);
        }
        Assert.Equal((ushort)1, Accepted<AnyPacket.PubRel>(Hex.Parse("62 02 0001"), version).Packet.PacketId);
    }

    [Fact]
    public void MQTT5_3_6_1_1_pubrel_flags_other_than_0010_are_malformed() => AssertPubRelFlags(V5);

    [Fact]
    public void MQTT311_3_6_1_1_pubrel_flags_other_than_0010_are_malformed() => AssertPubRelFlags(V311);
}
