using System.Buffers;
using static Mqtt.Codec.Tests.ConformanceAssert;
using static Mqtt.Codec.Tests.Wire;

namespace Mqtt.Codec.Tests;

/// <summary>Topic Names, Topic Filters and Shared Subscriptions (sections 4.7 and 4.8).</summary>
public class TopicConformanceTests
{
    private const ProtocolVersion V5 = ProtocolVersion.V500;
    private const ProtocolVersion V311 = ProtocolVersion.V311;

    private static string NoProperties(ProtocolVersion version) => version == V5 ? Props() : "";

    private static int FirstFilter(ProtocolVersion version) => version == V5 ? 5 : 4;

    private static byte[] Subscribe(ProtocolVersion version, string filter) => Packet(0x82, "0001", NoProperties(version), Str(filter), "01");

    private static byte[] Unsubscribe(ProtocolVersion version, string filter) => Packet(0xa2, "0001", NoProperties(version), Str(filter));

    private static byte[] Publish(ProtocolVersion version, string topic) => Packet(0x30, Str(topic), NoProperties(version), "6869");

    private static void AssertFilterRefused(ProtocolVersion version, string filter)
    {
        Malformed(Subscribe(version, filter), version, offset: FirstFilter(version));
        Malformed(Unsubscribe(version, filter), version, offset: FirstFilter(version));
    }

    private static void AssertFilterAccepted(ProtocolVersion version, string filter)
    {
        var subscribe = Accepted<AnyPacket.Subscribe>(Subscribe(version, filter), version);
        foreach (Subscription s in subscribe.Packet.Subscriptions)
        {
            Assert.Equal(filter, s.TopicFilterString);
        }
        Accepted<AnyPacket.Unsubscribe>(Unsubscribe(version, filter), version);
    }

    private static void AssertWildcardsOnlyInFilters(ProtocolVersion version)
    {
        foreach (string name in new[] { "+", "#", "a/+/b", "a/#" })
        {
            Malformed(Publish(version, name), version, offset: 2);
            AssertFilterAccepted(version, name);
        }
        // A Will Topic is a Topic Name too. The codec answers 0x90 Topic Name invalid, which CONNACK can carry.
        byte[] will = version == V5
            ? Connect(V5, 0x06, Str("c"), "00", Str("w/#"), Str("x"))
            : Connect(V311, 0x06, Str("c"), Str("w/#"), Str("x"));
        Refused(will, version, ReasonCode.TopicNameInvalid, offset: version == V5 ? 17 : 15);
    }

    [Fact]
    public void MQTT5_4_7_0_1_wildcards_only_in_topic_filters_never_in_topic_names()
    {
        AssertWildcardsOnlyInFilters(V5);
        Malformed(Packet(0x30, Str("a"), Props("08", Str("reply/+"))), V5, offset: 6);
    }

    [Fact]
    public void MQTT311_4_7_1_1_wildcards_only_in_topic_filters_never_in_topic_names() => AssertWildcardsOnlyInFilters(V311);

    public static TheoryData<string> BadMultiLevel => new("a/#/b", "a#", "#/", "#/a", "a/b#", "##", "#+", "$share/g/a#");

    public static TheoryData<string> GoodMultiLevel => new("#", "a/#", "/#", "a/b/c/#", "+/#", "$share/g/#");

    [Theory]
    [MemberData(nameof(BadMultiLevel))]
    public void MQTT5_4_7_1_1_multi_level_wildcard_not_alone_or_not_last_is_malformed(string filter) => AssertFilterRefused(V5, filter);

    [Theory]
    [MemberData(nameof(GoodMultiLevel))]
    public void MQTT5_4_7_1_1_multi_level_wildcard_alone_and_last_is_read(string filter) => AssertFilterAccepted(V5, filter);

    [Theory]
    [MemberData(nameof(BadMultiLevel))]
    public void MQTT311_4_7_1_2_multi_level_wildcard_not_alone_or_not_last_is_malformed(string filter) => AssertFilterRefused(V311, filter);

    [Theory]
    [MemberData(nameof(GoodMultiLevel))]
    public void MQTT311_4_7_1_2_multi_level_wildcard_alone_and_last_is_read(string filter) => AssertFilterAccepted(V311, filter);

    public static TheoryData<string> BadSingleLevel => new("a+", "+a", "a/b+/c", "++", "a/+b", "+#", "$share/g/a+");

    public static TheoryData<string> GoodSingleLevel => new("+", "+/+", "a/+/b", "/+", "+/", "+/#", "$share/g/+/a");

    [Theory]
    [MemberData(nameof(BadSingleLevel))]
    public void MQTT5_4_7_1_2_single_level_wildcard_not_filling_its_level_is_malformed(string filter) => AssertFilterRefused(V5, filter);

    [Theory]
    [MemberData(nameof(GoodSingleLevel))]
    public void MQTT5_4_7_1_2_single_level_wildcard_filling_its_level_is_read(string filter) => AssertFilterAccepted(V5, filter);

    [Theory]
    [MemberData(nameof(BadSingleLevel))]
    public void MQTT311_4_7_1_3_single_level_wildcard_not_filling_its_level_is_malformed(string filter) => AssertFilterRefused(V311, filter);

    [Theory]
    [MemberData(nameof(GoodSingleLevel))]
    public void MQTT311_4_7_1_3_single_level_wildcard_filling_its_level_is_read(string filter) => AssertFilterAccepted(V311, filter);

    [Fact]
    public void MQTT5_4_7_3_1_topic_names_and_filters_are_at_least_one_character()
    {
        AssertFilterRefused(V5, "");
        // An empty Topic Name without a Topic Alias is a Protocol Error in MQTT 5 (3.3.2.3.4).
        ProtocolError(Publish(V5, ""), V5, offset: 2);
        Refused(Connect(V5, 0x06, Str("c"), "00", Str(""), Str("x")), V5, ReasonCode.TopicNameInvalid, offset: 17);
        AssertFilterAccepted(V5, "/");
        Accepted<AnyPacket.Publish>(Publish(V5, "/"), V5);
    }

    [Fact]
    public void MQTT311_4_7_3_1_topic_names_and_filters_are_at_least_one_character()
    {
        AssertFilterRefused(V311, "");
        Malformed(Publish(V311, ""), V311, offset: 2);
        Refused(Connect(V311, 0x06, Str("c"), Str(""), Str("x")), V311, ReasonCode.TopicNameInvalid, offset: 15);
        AssertFilterAccepted(V311, "/");
    }

    private static void AssertNoU0000(ProtocolVersion version)
    {
        Malformed(Packet(0x30, StrHex("610062"), NoProperties(version)), version, offset: 2);
        Malformed(Packet(0x82, "0001", NoProperties(version), StrHex("612f00"), "00"), version, offset: FirstFilter(version));
        Malformed(Packet(0xa2, "0001", NoProperties(version), StrHex("00")), version, offset: FirstFilter(version));
    }

    [Fact]
    public void MQTT5_4_7_3_2_topic_names_and_filters_hold_no_u0000() => AssertNoU0000(V5);

    [Fact]
    public void MQTT311_4_7_3_2_topic_names_and_filters_hold_no_u0000() => AssertNoU0000(V311);

    private static void AssertAtMost65535Bytes(ProtocolVersion version)
    {
        // The longest Topic Name: 65,535 bytes (a three-byte character at the end, so the limit is in bytes).
        string longest = new string('t', 65_532) + "€";
        var publish = new PublishPacket { Topic = MqttUtf8.Encode(longest), QoS = QualityOfService.AtLeastOnce, PacketId = 1 };
        byte[] bytes = AnyPacket.Of(publish).ToBytes(version);
        Assert.Equal("ffff", Hex.Of(bytes.AsSpan(4, 2)));
        Assert.Equal(longest, ((AnyPacket.Publish)PacketDecoder.Decode(bytes, version).CompletePacket).Packet.TopicString);

        // One byte more cannot be written: its length does not fit the two-byte prefix. Nothing is written.
        var tooLong = publish with { Topic = MqttUtf8.Encode(longest + "t") };
        var output = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentException>(() => tooLong.Write(output, version));
        Assert.Equal(0, output.WrittenCount);
        Assert.Throws<ArgumentException>(() => SubscriptionList.Create(new Subscription(MqttUtf8.Encode(longest + "t"), QualityOfService.AtMostOnce)));
        Assert.Throws<ArgumentException>(() => TopicFilterList.Create(longest + "t"));
    }

    [Fact]
    public void MQTT5_4_7_3_3_topic_names_and_filters_are_at_most_65535_bytes() => AssertAtMost65535Bytes(V5);

    [Fact]
    public void MQTT311_4_7_3_3_topic_names_and_filters_are_at_most_65535_bytes() => AssertAtMost65535Bytes(V311);

    [Fact]
    public void MQTT5_4_8_2_1_share_name_is_at_least_one_character()
    {
        AssertFilterRefused(V5, "$share//a");
        AssertFilterRefused(V5, "$share//#");
        AssertFilterAccepted(V5, "$share/g/a");
    }

    [Theory]
    [InlineData("$share/g+/a")]
    [InlineData("$share/+/a")]
    [InlineData("$share/g#/a")]
    [InlineData("$share/#/a")]
    [InlineData("$share/g")]
    [InlineData("$share/g/")]
    public void MQTT5_4_8_2_2_share_name_without_slash_plus_or_hash_followed_by_slash_and_a_filter(string filter) =>
        AssertFilterRefused(V5, filter);

    [Theory]
    [InlineData("$share/g/a/#")]
    [InlineData("$share/g/+")]
    [InlineData("$share/group-1/sport/tennis/+")]
    [InlineData("$share/ü/a")]
    public void MQTT5_4_8_2_2_well_formed_shared_filters_are_read(string filter) => AssertFilterAccepted(V5, filter);

    [Theory]
    [InlineData("$share/g")]
    [InlineData("$share/g/")]
    [InlineData("$share//a")]
    [InlineData("$share/+/a")]
    public void MQTT311_4_7_1_3_share_prefix_without_the_shared_form_is_an_ordinary_filter(string filter) =>
        // 3.1.1 has no Shared Subscriptions: these are valid filters there, taken literally (as by Mosquitto).
        AssertFilterAccepted(V311, filter);

    [Theory]
    [InlineData("$share/g+/a")]
    [InlineData("$share/g/a#")]
    public void MQTT311_4_7_1_3_share_prefix_does_not_excuse_misplaced_wildcards(string filter) => AssertFilterRefused(V311, filter);
}
