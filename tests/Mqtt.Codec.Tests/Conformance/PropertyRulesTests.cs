using static Mqtt.Codec.Tests.ConformanceAssert;
using static Mqtt.Codec.Tests.Wire;

namespace Mqtt.Codec.Tests;

/// <summary>
/// The property rules of section 2.2.2 against Table 2-4 as written out on the test side
/// (<see cref="AllowedProperties"/>): every property is read where it is allowed and refused as malformed
/// where it is not; a property other than User Property (and, in PUBLISH, Subscription Identifier) appearing
/// twice is a Protocol Error; unknown identifiers are malformed; values out of their range are Protocol Errors.
/// </summary>
public class PropertyRulesTests
{
    private const ProtocolVersion V5 = ProtocolVersion.V500;
    private static readonly string Method = "15" + Str("SCRAM-SHA-256");

    public static TheoryData<PropertyBlock> Blocks() => new(Enum.GetValues<PropertyBlock>());

    /// <summary>A packet with the given property block; the block's Property Length lands at the returned offset.</summary>
    private static (byte[] Packet, int BlockOffset) With(PropertyBlock block, string properties) => block switch
    {
        PropertyBlock.Connect => (Packet(0x10, ConnectHeader(V5, 0x02), properties, Str("c")), 12),
        PropertyBlock.Will => (Packet(0x10, ConnectHeader(V5, 0x06), "00", Str("c"), properties, Str("w"), Str("x")), 16),
        PropertyBlock.ConnAck => (Packet(0x20, "00 00", properties), 4),
        PropertyBlock.Publish => (Packet(0x30, Str("a"), properties), 5),
        PropertyBlock.PubAck => (Packet(0x40, "0001 00", properties), 5),
        PropertyBlock.PubRec => (Packet(0x50, "0001 00", properties), 5),
        PropertyBlock.PubRel => (Packet(0x62, "0001 00", properties), 5),
        PropertyBlock.PubComp => (Packet(0x70, "0001 00", properties), 5),
        PropertyBlock.Subscribe => (Packet(0x82, "0001", properties, Str("a"), "00"), 4),
        PropertyBlock.SubAck => (Packet(0x90, "0001", properties, "00"), 4),
        PropertyBlock.Unsubscribe => (Packet(0xa2, "0001", properties, Str("a")), 4),
        PropertyBlock.UnsubAck => (Packet(0xb0, "0001", properties, "00"), 4),
        PropertyBlock.Disconnect => (Packet(0xe0, "00", properties), 3),
        PropertyBlock.Auth => (Packet(0xf0, "18", properties), 3),
        _ => throw new ArgumentOutOfRangeException(nameof(block)),
    };

    /// <summary>One property with a value valid for it.</summary>
    private static string One(PropertyId id) => $"{(byte)id:x2}" + id switch
    {
        PropertyId.PayloadFormatIndicator or PropertyId.RequestProblemInformation or PropertyId.RequestResponseInformation
            or PropertyId.MaximumQoS or PropertyId.RetainAvailable or PropertyId.WildcardSubscriptionAvailable
            or PropertyId.SubscriptionIdentifierAvailable or PropertyId.SharedSubscriptionAvailable => "01",
        PropertyId.ServerKeepAlive or PropertyId.ReceiveMaximum or PropertyId.TopicAliasMaximum or PropertyId.TopicAlias => "0005",
        PropertyId.MessageExpiryInterval or PropertyId.SessionExpiryInterval or PropertyId.WillDelayInterval
            or PropertyId.MaximumPacketSize => "0000000a",
        PropertyId.SubscriptionIdentifier => "8101",
        PropertyId.CorrelationData or PropertyId.AuthenticationData => "0002 00ff",
        PropertyId.UserProperty => Str("k") + Str("v"),
        PropertyId.ResponseTopic => Str("r/t"),
        _ => Str("x"),
    };

    /// <summary>What else a block needs to be valid: an AUTH must name its method, and Authentication Data needs one.</summary>
    private static string Companion(PropertyBlock block, PropertyId id) =>
        id != PropertyId.AuthenticationMethod && (block == PropertyBlock.Auth || id == PropertyId.AuthenticationData) ? Method : "";

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Every_property_allowed_in_a_packet_is_read_there(PropertyBlock block)
    {
        foreach (PropertyId id in AllowedProperties.In(block))
        {
            (byte[] packet, _) = With(block, Props(Companion(block, id), One(id)));
            DecodeResult result = PacketDecoder.Decode(packet, V5);
            Assert.True(result.Status == DecodeStatus.Complete, $"{id} in {block}: {result.Outcome}");
        }
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Every_property_not_allowed_in_a_packet_is_malformed_there(PropertyBlock block)
    {
        foreach (PropertyId id in AllowedProperties.All)
        {
            if (Array.IndexOf(AllowedProperties.In(block), id) >= 0)
            {
                continue;
            }
            (byte[] packet, int blockOffset) = With(block, Props(One(id)));
            Malformed(packet, V5, offset: blockOffset + 1);
        }
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Unknown_property_identifiers_are_malformed(PropertyBlock block)
    {
        foreach (byte id in new byte[] { 0x00, 0x04, 0x0a, 0x0c, 0x10, 0x14, 0x1b, 0x1d, 0x20, 0x2b, 0x7f, 0x80, 0xff })
        {
            (byte[] packet, int blockOffset) = With(block, Props($"{id:x2} 00"));
            Malformed(packet, V5, offset: blockOffset + 1);
        }
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void A_property_twice_is_a_protocol_error_except_user_property_and_publish_subscription_identifier(PropertyBlock block)
    {
        foreach (PropertyId id in AllowedProperties.In(block))
        {
            string companion = Companion(block, id);
            (byte[] packet, int blockOffset) = With(block, Props(companion, One(id), One(id)));
            bool mayRepeat = id == PropertyId.UserProperty || (id == PropertyId.SubscriptionIdentifier && block == PropertyBlock.Publish);
            if (mayRepeat)
            {
                Assert.Equal(DecodeStatus.Complete, PacketDecoder.Decode(packet, V5).Status);
            }
            else
            {
                ProtocolError(packet, V5, offset: blockOffset + 1 + (companion.Replace(" ", "").Length / 2) + (One(id).Length / 2));
            }
        }
    }

    [Fact]
    public void Repeated_user_properties_and_subscription_identifiers_keep_their_order()
    {
        (byte[] packet, _) = With(PropertyBlock.Publish, Props("0b 01", One(PropertyId.UserProperty), "26" + Str("k") + Str("w"), "0b 7f", "26" + Str("k") + Str("v")));
        MqttProperties p = Accepted<AnyPacket.Publish>(packet, V5).Packet.Properties;
        var ids = new List<int>();
        foreach (int id in p.SubscriptionIdentifiers)
        {
            ids.Add(id);
        }
        Assert.Equal([1, 127], ids);
        var pairs = new List<string>();
        foreach (UserProperty pair in p.UserProperties)
        {
            pairs.Add(pair.NameString + "=" + pair.ValueString);
        }
        Assert.Equal(["k=v", "k=w", "k=v"], pairs);
    }

    [Fact]
    public void Values_out_of_their_range_are_protocol_errors()
    {
        // Each at its property's identifier: Connect properties start at 13, PUBLISH at 6, CONNACK at 5.
        ProtocolError(With(PropertyBlock.Connect, Props("21 0000")).Packet, V5, offset: 13);
        ProtocolError(With(PropertyBlock.ConnAck, Props("21 0000")).Packet, V5, offset: 5);
        ProtocolError(With(PropertyBlock.Connect, Props("27 00000000")).Packet, V5, offset: 13);
        ProtocolError(With(PropertyBlock.Connect, Props("17 02")).Packet, V5, offset: 13);
        ProtocolError(With(PropertyBlock.Connect, Props("19 02")).Packet, V5, offset: 13);
        ProtocolError(With(PropertyBlock.ConnAck, Props("24 02")).Packet, V5, offset: 5);
        ProtocolError(With(PropertyBlock.ConnAck, Props("25 ff")).Packet, V5, offset: 5);
        ProtocolError(With(PropertyBlock.Publish, Props("01 02")).Packet, V5, offset: 6);
        ProtocolError(With(PropertyBlock.Publish, Props("0b 00")).Packet, V5, offset: 6);
        ProtocolError(With(PropertyBlock.Subscribe, Props("0b 00")).Packet, V5, offset: 5);
    }

    [Fact]
    public void Property_block_that_does_not_add_up_is_malformed()
    {
        // Property Length past the end of the packet; a property running past the Property Length.
        Malformed(Packet(0x30, Str("a"), "05 0101"), V5, offset: 5);
        Malformed(Packet(0x30, Str("a"), "02 02 0000000a"), V5, offset: 6);
        Malformed(Packet(0x30, Str("a"), "03 26 0001 6b"), V5);
    }

    [Fact]
    public void Authentication_data_without_a_method_in_connect_is_a_protocol_error() =>
        ProtocolError(With(PropertyBlock.Connect, Props("16 0001 00")).Packet, V5, offset: 12);

    [Fact]
    public void Auth_with_a_reason_code_but_no_authentication_method_is_a_protocol_error()
    {
        ProtocolError(Hex.Parse("f0 02 18 00"), V5, offset: 3);
        ProtocolError(Packet(0xf0, "19", Props("16 0001 00")), V5, offset: 3);
        // The empty Success form has nothing to name (3.15.2.1).
        Accepted<AnyPacket.Auth>(Hex.Parse("f0 00"), V5);
    }
}
