using CsCheck;
using System.Buffers;
using static Mqtt.Codec.Tests.ConformanceAssert;
using static Mqtt.Codec.Tests.Wire;

namespace Mqtt.Codec.Tests;

/// <summary>Chapters 1 and 2: UTF-8 strings, Variable Byte Integers, fixed header flags, packet identifiers, properties.</summary>
public class DataRepresentationConformanceTests
{
    private const ProtocolVersion V5 = ProtocolVersion.V500;
    private const ProtocolVersion V311 = ProtocolVersion.V311;

    /// <summary>Ill-formed UTF-8: an over-long NUL, a surrogate, a byte UTF-8 never uses, a cut sequence, a code point past U+10FFFF, a stray continuation.</summary>
    public static TheoryData<string> IllFormedUtf8 => new("c080", "eda080", "edbfbf", "61ff", "e282", "f4908080", "80", "c3");

    [Theory]
    [MemberData(nameof(IllFormedUtf8))]
    public void MQTT5_1_5_4_1_ill_formed_utf8_or_surrogate_in_a_string_is_malformed(string bad)
    {
        // In the Topic Name (offset 2), and in a Reason String property of a PUBACK (the string at offset 7).
        Malformed(Packet(0x30, StrHex(bad), Props(), "6869"), V5, offset: 2);
        Malformed(Packet(0x40, "0001", "10", Props("1f", StrHex(bad))), V5, offset: 7);
    }

    [Theory]
    [MemberData(nameof(IllFormedUtf8))]
    public void MQTT311_1_5_3_1_ill_formed_utf8_or_surrogate_in_a_string_is_malformed(string bad) =>
        Malformed(Packet(0x30, StrHex(bad), "6869"), V311, offset: 2);

    [Fact]
    public void MQTT5_1_5_4_2_string_holding_u0000_is_malformed()
    {
        Malformed(Packet(0x30, StrHex("610062"), Props()), V5, offset: 2);
        Malformed(Connect(V5, 0x02, StrHex("00")), V5, offset: 13);
    }

    [Fact]
    public void MQTT311_1_5_3_2_string_holding_u0000_is_malformed()
    {
        Malformed(Packet(0x30, StrHex("610062")), V311, offset: 2);
        Malformed(Connect(V311, 0x02, StrHex("6100")), V311, offset: 12);
    }

    [Fact]
    public void MQTT5_1_5_4_3_leading_ef_bb_bf_is_kept_as_u_feff() => AssertBomKept(V5, Props());

    [Fact]
    public void MQTT311_1_5_3_3_leading_ef_bb_bf_is_kept_as_u_feff() => AssertBomKept(V311, "");

    private static void AssertBomKept(ProtocolVersion version, string properties)
    {
        byte[] input = Packet(0x30, StrHex("efbbbf 612f62"), properties, "6869");
        var publish = Accepted<AnyPacket.Publish>(input, version);
        Assert.Equal("efbbbf612f62", Hex.Of(publish.Packet.Topic));
        Assert.Equal("\uFEFFa/b", publish.Packet.TopicString);
        Assert.Equal(Hex.Of(input), Hex.Of(publish.ToBytes(version)));
    }

    /// <summary>Over-long Variable Byte Integers: in the Remaining Length (offset 1), a Property Length, a Subscription Identifier; and a fifth byte.</summary>
    [Fact]
    public void MQTT5_1_5_5_1_variable_byte_integer_not_in_its_shortest_form_is_malformed()
    {
        Malformed(Hex.Parse("c0 8000"), V5, offset: 1);
        Malformed(Hex.Parse("30 ff00 0001 61"), V5, offset: 1);
        Malformed(Hex.Parse("30 80808000"), V5, offset: 1);
        Malformed(Hex.Parse("30 ffffffff7f"), V5, offset: 1);
        Malformed(Packet(0x30, Str("a"), "8100", "6869"), V5, offset: 5);
        // Subscription Identifier 1 written in two bytes.
        Malformed(Packet(0x82, "0001", "03 0b8100", Str("a"), "00"), V5);
        // The shortest forms at every size boundary are read.
        foreach (int length in new[] { 0, 127, 128, 16_383, 16_384 })
        {
            byte[] body = new byte[length];
            byte[] packet = Packet(0x30, Str("a"), Props(), Hex.Of(body.AsSpan(0, Math.Max(0, length - 4))));
            Assert.Equal(DecodeStatus.Complete, PacketDecoder.Decode(packet, V5).Status);
        }
    }

    [Fact]
    public void MQTT5_1_5_7_1_user_property_name_and_value_follow_the_string_rules()
    {
        // Topic "a" at 2, Property Length at 5, the User Property's id at 6, its name at 7, then its value.
        Malformed(Packet(0x30, Str("a"), Props("26", StrHex("eda080"), Str("v"))), V5, offset: 7);
        Malformed(Packet(0x30, Str("a"), Props("26", Str("n"), StrHex("6100"))), V5, offset: 10);
        var ok = Accepted<AnyPacket.Publish>(Packet(0x30, Str("a"), Props("26", Str("näme"), Str("välue"))), V5);
        foreach (UserProperty pair in ok.Packet.Properties.UserProperties)
        {
            Assert.Equal(("näme", "välue"), (pair.NameString, pair.ValueString));
        }
    }

    /// <summary>Table 2-2: the flags each type must carry.</summary>
    private static byte RequiredFlags(int type) => type is 6 or 8 or 10 ? (byte)0b0010 : (byte)0;

    [Fact]
    public void MQTT5_2_1_3_1_reserved_fixed_header_flags_other_than_tabulated_are_malformed() => AssertReservedFlags(V5);

    [Fact]
    public void MQTT311_2_2_2_2_invalid_fixed_header_flags_are_refused() => AssertReservedFlags(V311);

    private static void AssertReservedFlags(ProtocolVersion version)
    {
        for (int type = 1; type <= 15; type++)
        {
            if (type == (int)PacketType.Publish)
            {
                continue;
            }
            for (int flags = 0; flags < 16; flags++)
            {
                byte[] input = [(byte)((type << 4) | flags), 0x00];
                DecodeStatus frame = MqttFrameReader.TryRead(new ReadOnlySequence<byte>(input), int.MaxValue, out _, out DecodeError error);
                if (flags == RequiredFlags(type))
                {
                    Assert.True(frame == DecodeStatus.Complete, $"type {type} with its own flags {flags:b4} must frame");
                }
                else
                {
                    Assert.True(frame == DecodeStatus.Invalid && error.ReasonCode == ReasonCode.MalformedPacket && error.Offset == 0,
                        $"type {type} flags {flags:b4}: {frame} {error}");
                }
            }
        }
        // Packet type 0 is reserved too.
        Malformed([0x00, 0x00], version, offset: 0);
    }

    [Fact]
    public void MQTT311_2_2_2_1_written_packets_carry_the_tabulated_flags()
    {
        foreach ((PacketType type, ProtocolVersion version) in PacketGenerators.AllKinds())
        {
            if (type == PacketType.Publish)
            {
                continue;
            }
            AnyPacket packet = PacketGenerators.For(type, version).Single();
            byte[] bytes = packet.ToBytes(version);
            Assert.True(bytes[0] == (((int)type << 4) | RequiredFlags((int)type)), $"{type} {version} wrote first byte {bytes[0]:x2}");
        }
    }

    [Fact]
    public void MQTT5_2_2_1_2_qos_0_publish_has_no_packet_identifier() => AssertQoS0HasNoPacketId(V5, Props());

    [Fact]
    public void MQTT311_2_3_1_5_qos_0_publish_has_no_packet_identifier() => AssertQoS0HasNoPacketId(V311, "");

    private static void AssertQoS0HasNoPacketId(ProtocolVersion version, string properties)
    {
        // After the topic come the properties and payload at once: the two bytes "0001" are payload.
        var read = Accepted<AnyPacket.Publish>(Packet(0x30, Str("a"), properties, "0001"), version);
        Assert.Equal(0, read.Packet.PacketId);
        Assert.Equal("0001", Hex.Of(read.Packet.Payload));
        // A Packet Identifier set on a QoS 0 packet is not written.
        var publish = AnyPacket.Of(new PublishPacket { Topic = MqttUtf8.Encode("a"), PacketId = 7, Payload = new ReadOnlySequence<byte>([0x68]) });
        Assert.Equal(Hex.Of(Packet(0x30, Str("a"), properties, "68")), Hex.Of(publish.ToBytes(version)));
    }

    [Fact]
    public void MQTT311_2_3_1_1_subscribe_unsubscribe_and_qos_1_2_publish_need_a_non_zero_packet_identifier()
    {
        ProtocolError(Packet(0x82, "0000", Str("a/b"), "01"), V311, offset: 2);
        ProtocolError(Packet(0xa2, "0000", Str("a/b")), V311, offset: 2);
        ProtocolError(Packet(0x32, Str("a"), "0000", "6869"), V311, offset: 5);
        ProtocolError(Packet(0x34, Str("a"), "0000", "6869"), V311, offset: 5);
        Accepted<AnyPacket.Publish>(Packet(0x32, Str("a"), "0001", "6869"), V311);
    }

    [Theory]
    [InlineData(ProtocolVersion.V500)]
    [InlineData(ProtocolVersion.V311)]
    public void Acknowledgements_echo_a_non_zero_packet_identifier(ProtocolVersion version)
    {
        // [MQTT-2.2.1-5] PUBACK, PUBREC, PUBREL, PUBCOMP and [MQTT-2.2.1-6] SUBACK, UNSUBACK answer a request
        // whose identifier is never 0, so an acknowledgement of 0 answers nothing.
        foreach (byte first in new byte[] { 0x40, 0x50, 0x62, 0x70 })
        {
            ProtocolError([first, 0x02, 0x00, 0x00], version, offset: 2);
        }
        ProtocolError(Packet(0x90, "0000", version == V5 ? Props() : "", "00"), version, offset: 2);
        ProtocolError(Packet(0xb0, "0000", version == V5 ? Props() + "00" : ""), version, offset: 2);
    }

    [Fact]
    public void MQTT5_2_2_2_1_no_properties_is_written_as_property_length_0()
    {
        (AnyPacket Packet, int Offset)[] cases =
        [
            (AnyPacket.Of(new ConnectPacket { Version = V5, ClientId = MqttUtf8.Encode("c") }), 12),
            (AnyPacket.Of(new ConnAckPacket { ReasonCode = ReasonCode.Success }), 4),
            (AnyPacket.Of(new PublishPacket { Topic = MqttUtf8.Encode("a"), QoS = QualityOfService.AtLeastOnce, PacketId = 1 }), 7),
            (AnyPacket.Of(new SubscribePacket { PacketId = 1, Subscriptions = SubscriptionList.Create(new Subscription(MqttUtf8.Encode("a"), QualityOfService.AtMostOnce)) }), 4),
            (AnyPacket.Of(new SubAckPacket { PacketId = 1, ReasonCodes = new ReadOnlySequence<byte>([0]) }), 4),
            (AnyPacket.Of(new UnsubscribePacket { PacketId = 1, TopicFilters = TopicFilterList.Create("a") }), 4),
            (AnyPacket.Of(new UnsubAckPacket { PacketId = 1, ReasonCodes = new ReadOnlySequence<byte>([0]) }), 4),
        ];
        foreach ((AnyPacket packet, int offset) in cases)
        {
            byte[] bytes = packet.ToBytes(V5);
            Assert.True(bytes[offset] == 0, $"{packet.Type}: expected Property Length 0 at {offset} in {Hex.Of(bytes)}");
            PacketFields.AssertEqual(packet, PacketDecoder.Decode(bytes, V5).CompletePacket);
        }
        // Will Properties too: CONNECT with a Will and no Will Properties.
        var connect = new ConnectPacket { Version = V5, KeepAlive = 60, ClientId = MqttUtf8.Encode("c"), Will = new WillMessage { Topic = MqttUtf8.Encode("w") } };
        Assert.Equal(Hex.Of(Connect(V5, 0x04, Str("c"), "00", Str("w"), "0000")), Hex.Of(AnyPacket.Of(connect).ToBytes(V5)));
        // A reader does not make up a missing Property Length where the packet has no shorter form.
        Malformed(Hex.Parse("20 02 0000"), V5, offset: 4);
        Malformed(Packet(0x10, ConnectHeader(V5, 0x02)), V5, offset: 12);
    }
}
