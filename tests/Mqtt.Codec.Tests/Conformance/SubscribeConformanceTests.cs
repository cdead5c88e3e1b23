using static Mqtt.Codec.Tests.ConformanceAssert;
using static Mqtt.Codec.Tests.Wire;

namespace Mqtt.Codec.Tests;

/// <summary>
/// SUBSCRIBE, SUBACK and UNSUBSCRIBE (sections 3.8 to 3.10). In MQTT 5 the first Topic Filter starts at 5
/// (after the Packet Identifier and an empty property block), in 3.1.1 at 4.
/// </summary>
public class SubscribeConformanceTests
{
    private const ProtocolVersion V5 = ProtocolVersion.V500;
    private const ProtocolVersion V311 = ProtocolVersion.V311;

    private static string NoProperties(ProtocolVersion version) => version == V5 ? Props() : "";

    private static int FirstFilter(ProtocolVersion version) => version == V5 ? 5 : 4;

    private static void AssertSubscribeFlags(ProtocolVersion version)
    {
        foreach (byte first in new byte[] { 0x80, 0x81, 0x83, 0x86, 0x8a, 0x8f })
        {
            Malformed(Packet(first, "0001", NoProperties(version), Str("a"), "00"), version, offset: 0);
        }
        Accepted<AnyPacket.Subscribe>(Packet(0x82, "0001", NoProperties(version), Str("a"), "00"), version);
    }

    [Fact]
    public void MQTT5_3_8_1_1_subscribe_flags_other_than_0010_are_malformed() => AssertSubscribeFlags(V5);

    [Fact]
    public void MQTT311_3_8_1_1_subscribe_flags_other_than_0010_are_malformed() => AssertSubscribeFlags(V311);

    private static void AssertSubscribeFiltersUtf8(ProtocolVersion version)
    {
        int first = FirstFilter(version);
        Malformed(Packet(0x82, "0001", NoProperties(version), StrHex("612fc0"), "00"), version, offset: first);
        // The second filter, after "a" and its options byte.
        Malformed(Packet(0x82, "0001", NoProperties(version), Str("a"), "00", StrHex("6200"), "00"), version, offset: first + 4);
    }

    [Fact]
    public void MQTT5_3_8_3_1_subscribe_topic_filters_are_utf8_strings() => AssertSubscribeFiltersUtf8(V5);

    [Fact]
    public void MQTT311_3_8_3_1_subscribe_topic_filters_are_utf8_strings() => AssertSubscribeFiltersUtf8(V311);

    [Fact]
    public void MQTT5_3_8_3_2_subscribe_without_a_topic_filter_is_a_protocol_error()
    {
        ProtocolError(Packet(0x82, "0001", Props()), V5, offset: 5);
        ProtocolError(Packet(0x82, "0001", Props("26", Str("k"), Str("v"))), V5);
    }

    [Fact]
    public void MQTT311_3_8_3_3_subscribe_without_a_topic_filter_is_refused() => ProtocolError(Hex.Parse("82 02 0001"), V311, offset: 4);

    [Theory]
    [InlineData(0x40)]
    [InlineData(0x80)]
    [InlineData(0xc1)]
    public void MQTT5_3_8_3_5_reserved_subscription_option_bits_set_is_malformed(byte options) =>
        Malformed(Packet(0x82, "0001", Props(), Str("a"), $"{options:x2}"), V5, offset: 8);

    [Fact]
    public void MQTT5_3_8_3_5_every_option_combination_without_reserved_bits_is_read()
    {
        for (int qos = 0; qos < 3; qos++)
        {
            for (int rh = 0; rh < 3; rh++)
            {
                int options = qos | 0b100 | 0b1000 | (rh << 4);
                var subscribe = Accepted<AnyPacket.Subscribe>(Packet(0x82, "0001", Props(), Str("a"), $"{options:x2}"), V5);
                foreach (Subscription s in subscribe.Packet.Subscriptions)
                {
                    Assert.Equal(((QualityOfService)qos, true, true, (RetainHandling)rh), (s.MaximumQoS, s.NoLocal, s.RetainAsPublished, s.RetainHandling));
                }
            }
        }
        // Not reserved bits but values 3.8.3.1 calls Protocol Errors: Maximum QoS 3, Retain Handling 3, and
        // No Local on a Shared Subscription [MQTT-3.8.3-4].
        ProtocolError(Packet(0x82, "0001", Props(), Str("a"), "03"), V5, offset: 8);
        ProtocolError(Packet(0x82, "0001", Props(), Str("a"), "30"), V5, offset: 8);
        ProtocolError(Packet(0x82, "0001", Props(), Str("$share/g/a"), "04"), V5, offset: 17);
    }

    [Theory]
    [InlineData(0x03)]
    [InlineData(0x04)]
    [InlineData(0x08)]
    [InlineData(0x80)]
    [InlineData(0xff)]
    public void MQTT311_3_8_3_4_reserved_bits_or_qos_3_in_requested_qos_is_malformed(byte options) =>
        Malformed(Packet(0x82, "0001", Str("a"), $"{options:x2}"), V311, offset: 7);

    [Fact]
    public void MQTT311_3_9_3_2_suback_return_codes_are_0_1_2_or_0x80()
    {
        foreach (byte code in new byte[] { 0x00, 0x01, 0x02, 0x80 })
        {
            Accepted<AnyPacket.SubAck>(Packet(0x90, "0001", $"{code:x2}"), V311);
        }
        foreach (byte code in new byte[] { 0x03, 0x04, 0x7f, 0x81, 0x87, 0x8f, 0xff })
        {
            ProtocolError(Packet(0x90, "0001", "00", $"{code:x2}"), V311, offset: 5);
        }
    }

    private static void AssertUnsubscribeFlags(ProtocolVersion version)
    {
        foreach (byte first in new byte[] { 0xa0, 0xa1, 0xa3, 0xa6, 0xaa, 0xaf })
        {
            Malformed(Packet(first, "0001", NoProperties(version), Str("a")), version, offset: 0);
        }
        Accepted<AnyPacket.Unsubscribe>(Packet(0xa2, "0001", NoProperties(version), Str("a")), version);
    }

    [Fact]
    public void MQTT5_3_10_1_1_unsubscribe_flags_other_than_0010_are_malformed() => AssertUnsubscribeFlags(V5);

    [Fact]
    public void MQTT311_3_10_1_1_unsubscribe_flags_other_than_0010_are_malformed() => AssertUnsubscribeFlags(V311);

    private static void AssertUnsubscribeFiltersUtf8(ProtocolVersion version)
    {
        int first = FirstFilter(version);
        Malformed(Packet(0xa2, "0001", NoProperties(version), StrHex("eda080")), version, offset: first);
        Malformed(Packet(0xa2, "0001", NoProperties(version), Str("a"), StrHex("6200")), version, offset: first + 3);
        // Packed back to back, no options byte between them.
        var ok = Accepted<AnyPacket.Unsubscribe>(Packet(0xa2, "0001", NoProperties(version), Str("a/b"), Str("c/+"), Str("#")), version);
        Assert.Equal(3, ok.Packet.TopicFilters.Count);
    }

    [Fact]
    public void MQTT5_3_10_3_1_unsubscribe_topic_filters_are_utf8_strings() => AssertUnsubscribeFiltersUtf8(V5);

    [Fact]
    public void MQTT311_3_10_3_1_unsubscribe_topic_filters_are_utf8_strings_back_to_back() => AssertUnsubscribeFiltersUtf8(V311);

    [Fact]
    public void MQTT5_3_10_3_2_unsubscribe_without_a_topic_filter_is_a_protocol_error() => ProtocolError(Packet(0xa2, "0001", Props()), V5, offset: 5);

    [Fact]
    public void MQTT311_3_10_3_2_unsubscribe_without_a_topic_filter_is_refused() => ProtocolError(Hex.Parse("a2 02 0001"), V311, offset: 4);
}
