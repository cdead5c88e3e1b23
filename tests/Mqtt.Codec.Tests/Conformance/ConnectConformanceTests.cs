using static Mqtt.Codec.Tests.ConformanceAssert;
using static Mqtt.Codec.Tests.Wire;

namespace Mqtt.Codec.Tests;

/// <summary>
/// CONNECT and CONNACK (sections 3.1 and 3.2). Offsets in a CONNECT from <see cref="Wire.Connect"/>: flags at 9;
/// the Client Identifier at 13 in MQTT 5 (after an empty property block) and at 12 in 3.1.1.
/// </summary>
public class ConnectConformanceTests
{
    private const ProtocolVersion V5 = ProtocolVersion.V500;
    private const ProtocolVersion V311 = ProtocolVersion.V311;
    private const int FlagsOffset = 9;

    [Fact]
    public void MQTT5_3_1_2_1_protocol_name_other_than_MQTT_is_refused_with_0x84()
    {
        Refused(Packet(0x10, "0004 4d515473", "05 02 003c 00", Str("c")), V5, ReasonCode.UnsupportedProtocolVersion, offset: 2);
        Refused(Packet(0x10, "0006 4d5149736470", "05 02 003c 00", Str("c")), V5, ReasonCode.UnsupportedProtocolVersion, offset: 2);
        Refused(Packet(0x10, "0004 6d717474", "05 02 003c 00", Str("c")), V5, ReasonCode.UnsupportedProtocolVersion, offset: 2);
    }

    [Fact]
    public void MQTT5_3_1_2_2_unsupported_protocol_version_is_refused_with_0x84()
    {
        Refused(Packet(0x10, "0004 4d515454", "03 02 003c", Str("c")), V5, ReasonCode.UnsupportedProtocolVersion, offset: 2);
        Refused(Packet(0x10, "0004 4d515454", "06 02 003c", Str("c")), V5, ReasonCode.UnsupportedProtocolVersion, offset: 2);
        Assert.Equal(V311, Accepted<AnyPacket.Connect>(Connect(V311, 0x02, Str("c")), V5).Packet.Version);
        Assert.Equal(V5, Accepted<AnyPacket.Connect>(Connect(V5, 0x02, Str("c")), V311).Packet.Version);
    }

    private static void AssertReservedFlag(ProtocolVersion version)
    {
        Malformed(Connect(version, 0x01, Str("c")), version, offset: FlagsOffset);
        Malformed(Connect(version, 0x03, Str("c")), version, offset: FlagsOffset);
    }

    [Fact]
    public void MQTT5_3_1_2_3_reserved_connect_flag_set_is_malformed() => AssertReservedFlag(V5);

    [Fact]
    public void MQTT311_3_1_2_3_reserved_connect_flag_set_is_malformed() => AssertReservedFlag(V311);

    [Fact]
    public void MQTT5_3_1_2_9_will_flag_needs_will_properties_will_topic_and_will_payload()
    {
        byte[] noWill = Connect(V5, 0x06, Str("c"));
        Malformed(noWill, V5, offset: noWill.Length);
        byte[] propertiesOnly = Connect(V5, 0x06, Str("c"), "00");
        Malformed(propertiesOnly, V5, offset: propertiesOnly.Length);
        byte[] noPayload = Connect(V5, 0x06, Str("c"), "00", Str("w"));
        Malformed(noPayload, V5, offset: noPayload.Length);
        var ok = Accepted<AnyPacket.Connect>(Connect(V5, 0x06, Str("c"), "00", Str("w"), Str("bye")), V5);
        Assert.Equal("w", MqttUtf8.GetString(ok.Packet.Will!.Value.Topic));
        Assert.Equal("bye", MqttUtf8.GetString(ok.Packet.Will!.Value.Payload));
    }

    [Fact]
    public void MQTT311_3_1_2_9_will_flag_needs_will_topic_and_will_message()
    {
        byte[] noWill = Connect(V311, 0x06, Str("c"));
        Malformed(noWill, V311, offset: noWill.Length);
        byte[] noMessage = Connect(V311, 0x06, Str("c"), Str("w"));
        Malformed(noMessage, V311, offset: noMessage.Length);
        Assert.NotNull(Accepted<AnyPacket.Connect>(Connect(V311, 0x06, Str("c"), Str("w"), Str("bye")), V311).Packet.Will);
    }

    [Fact]
    public void MQTT5_3_1_2_11_will_qos_without_will_flag_is_malformed()
    {
        Malformed(Connect(V5, 0x0A, Str("c")), V5, offset: FlagsOffset);
        Malformed(Connect(V5, 0x12, Str("c")), V5, offset: FlagsOffset);
    }

    [Fact]
    public void MQTT311_3_1_2_11_without_will_flag_no_will_qos_retain_topic_or_message()
    {
        Malformed(Connect(V311, 0x0A, Str("c")), V311, offset: FlagsOffset);
        Malformed(Connect(V311, 0x22, Str("c")), V311, offset: FlagsOffset);
        // A Will Topic and Message after the Client Identifier without the flag are bytes the packet does not have.
        Malformed(Connect(V311, 0x02, Str("c"), Str("w"), Str("bye")), V311, offset: 15);
        Assert.Null(Accepted<AnyPacket.Connect>(Connect(V311, 0x02, Str("c")), V311).Packet.Will);
    }

    [Fact]
    public void MQTT5_3_1_2_12_will_qos_3_is_malformed() => Malformed(Connect(V5, 0x1E, Str("c"), "00", Str("w"), Str("x")), V5, offset: FlagsOffset);

    [Fact]
    public void MQTT311_3_1_2_14_will_qos_3_is_malformed() => Malformed(Connect(V311, 0x1E, Str("c"), Str("w"), Str("x")), V311, offset: FlagsOffset);

    [Fact]
    public void MQTT311_3_1_2_13_will_qos_without_will_flag_is_malformed()
    {
        Malformed(Connect(V311, 0x08, Str("c")), V311, offset: FlagsOffset);
        Malformed(Connect(V311, 0x10, Str("c")), V311, offset: FlagsOffset);
    }

    [Fact]
    public void MQTT5_3_1_2_13_will_retain_without_will_flag_is_malformed() => Malformed(Connect(V5, 0x22, Str("c")), V5, offset: FlagsOffset);

    [Fact]
    public void MQTT311_3_1_2_15_will_retain_without_will_flag_is_malformed() => Malformed(Connect(V311, 0x20, Str("c")), V311, offset: FlagsOffset);

    private static void AssertUserNameAbsent(ProtocolVersion version, int afterClientId)
    {
        Malformed(Connect(version, 0x02, Str("c"), Str("user")), version, offset: afterClientId);
        Assert.Null(Accepted<AnyPacket.Connect>(Connect(version, 0x02, Str("c")), version).Packet.UserName);
    }

    [Fact]
    public void MQTT5_3_1_2_16_user_name_flag_0_means_no_user_name() => AssertUserNameAbsent(V5, 16);

    [Fact]
    public void MQTT311_3_1_2_18_user_name_flag_0_means_no_user_name() => AssertUserNameAbsent(V311, 15);

    private static void AssertUserNamePresent(ProtocolVersion version)
    {
        byte[] missing = Connect(version, 0x82, Str("c"));
        Malformed(missing, version, offset: missing.Length);
        Assert.Equal("u", MqttUtf8.GetString(Accepted<AnyPacket.Connect>(Connect(version, 0x82, Str("c"), Str("u")), version).Packet.UserName!.Value));
        // Present but empty is present.
        Assert.True(Accepted<AnyPacket.Connect>(Connect(version, 0x82, Str("c"), Str("")), version).Packet.UserName!.Value.IsEmpty);
    }

    [Fact]
    public void MQTT5_3_1_2_17_user_name_flag_1_means_a_user_name() => AssertUserNamePresent(V5);

    [Fact]
    public void MQTT311_3_1_2_19_user_name_flag_1_means_a_user_name() => AssertUserNamePresent(V311);

    private static void AssertPasswordAbsent(ProtocolVersion version, int afterUserName)
    {
        Malformed(Connect(version, 0x82, Str("c"), Str("u"), Bin([1, 2, 3])), version, offset: afterUserName);
        Assert.Null(Accepted<AnyPacket.Connect>(Connect(version, 0x82, Str("c"), Str("u")), version).Packet.Password);
    }

    [Fact]
    public void MQTT5_3_1_2_18_password_flag_0_means_no_password() => AssertPasswordAbsent(V5, 19);

    [Fact]
    public void MQTT311_3_1_2_20_password_flag_0_means_no_password() => AssertPasswordAbsent(V311, 18);

    private static void AssertPasswordPresent(ProtocolVersion version)
    {
        byte[] missing = Connect(version, 0xC2, Str("c"), Str("u"));
        Malformed(missing, version, offset: missing.Length);
        var ok = Accepted<AnyPacket.Connect>(Connect(version, 0xC2, Str("c"), Str("u"), Bin([0, 0xFF, 0x80])), version);
        // Binary Data: any bytes, not a string.
        Assert.Equal("00ff80", Hex.Of(ok.Packet.Password!.Value));
    }

    [Fact]
    public void MQTT5_3_1_2_19_password_flag_1_means_a_password()
    {
        AssertPasswordPresent(V5);
        // MQTT 5 allows a Password without a User Name (3.1.2.9), unlike 3.1.1.
        var ok = Accepted<AnyPacket.Connect>(Connect(V5, 0x42, Str("c"), Bin([7])), V5);
        Assert.Null(ok.Packet.UserName);
        Assert.Equal("07", Hex.Of(ok.Packet.Password!.Value));
    }

    [Fact]
    public void MQTT311_3_1_2_21_password_flag_1_means_a_password() => AssertPasswordPresent(V311);

    [Fact]
    public void MQTT311_3_1_2_22_password_without_user_name_is_malformed() =>
        Malformed(Connect(V311, 0x42, Str("c"), Bin([7])), V311, offset: FlagsOffset);

    [Fact]
    public void MQTT5_3_1_3_1_payload_is_client_id_will_properties_will_topic_will_payload_user_name_password()
    {
        // Flags: User Name, Password, Will Retain, Will QoS 1, Will, Clean Start.
        byte[] input = Connect(V5, 0xEE, Str("client"), Props("18 0000000a"), Str("w/t"), Str("bye"), Str("user"), Bin([0x70, 0x77]));
        var connect = Accepted<AnyPacket.Connect>(input, V5).Packet;
        Assert.Equal("client", MqttUtf8.GetString(connect.ClientId));
        WillMessage will = connect.Will!.Value;
        Assert.Equal(10u, will.Properties.WillDelayInterval);
        Assert.Equal("w/t", MqttUtf8.GetString(will.Topic));
        Assert.Equal("bye", MqttUtf8.GetString(will.Payload));
        Assert.Equal(QualityOfService.AtLeastOnce, will.QoS);
        Assert.True(will.Retain);
        Assert.Equal("user", MqttUtf8.GetString(connect.UserName!.Value));
        Assert.Equal("7077", Hex.Of(connect.Password!.Value));
        // And the writer puts them in that order.
        Assert.Equal(Hex.Of(input), Hex.Of(AnyPacket.Of(connect).ToBytes(V5)));
    }

    [Fact]
    public void MQTT311_3_1_3_1_payload_is_client_id_will_topic_will_message_user_name_password()
    {
        byte[] input = Connect(V311, 0xD6, Str("client"), Str("w/t"), Str("bye"), Str("user"), Bin([0x70, 0x77]));
        var connect = Accepted<AnyPacket.Connect>(input, V311).Packet;
        Assert.Equal("client", MqttUtf8.GetString(connect.ClientId));
        Assert.Equal("w/t", MqttUtf8.GetString(connect.Will!.Value.Topic));
        Assert.Equal("bye", MqttUtf8.GetString(connect.Will!.Value.Payload));
        Assert.Equal(QualityOfService.ExactlyOnce, connect.Will!.Value.QoS);
        Assert.Equal("user", MqttUtf8.GetString(connect.UserName!.Value));
        Assert.Equal("7077", Hex.Of(connect.Password!.Value));
        Assert.Equal(Hex.Of(input), Hex.Of(AnyPacket.Of(connect).ToBytes(V311)));
    }

    [Fact]
    public void MQTT5_3_1_3_3_client_identifier_is_always_present_first()
    {
        Malformed(Packet(0x10, ConnectHeader(V5, 0x02), "00"), V5, offset: 13);
        // Empty is allowed (the server may assign one), absent is not.
        Assert.True(Accepted<AnyPacket.Connect>(Connect(V5, 0x02, Str("")), V5).Packet.ClientId.IsEmpty);
    }

    [Fact]
    public void MQTT311_3_1_3_3_client_identifier_is_always_present_first()
    {
        Malformed(Packet(0x10, ConnectHeader(V311, 0x02)), V311, offset: 12);
        Assert.True(Accepted<AnyPacket.Connect>(Connect(V311, 0x02, Str("")), V311).Packet.ClientId.IsEmpty);
    }

    [Fact]
    public void MQTT5_3_1_3_4_client_identifier_is_a_utf8_string() => Malformed(Connect(V5, 0x02, StrHex("6380")), V5, offset: 13);

    [Fact]
    public void MQTT311_3_1_3_4_client_identifier_is_a_utf8_string() => Malformed(Connect(V311, 0x02, StrHex("6380")), V311, offset: 12);

    [Fact]
    public void MQTT5_3_1_3_11_will_topic_is_a_utf8_string() =>
        Malformed(Connect(V5, 0x06, Str("c"), "00", StrHex("77eda080"), Str("x")), V5, offset: 17);

    [Fact]
    public void MQTT311_3_1_3_10_will_topic_is_a_utf8_string() =>
        Malformed(Connect(V311, 0x06, Str("c"), StrHex("77eda080"), Str("x")), V311, offset: 15);

    [Fact]
    public void MQTT5_3_1_3_12_user_name_is_a_utf8_string() => Malformed(Connect(V5, 0x82, Str("c"), StrHex("75ff")), V5, offset: 16);

    [Fact]
    public void MQTT311_3_1_3_11_user_name_is_a_utf8_string() => Malformed(Connect(V311, 0x82, Str("c"), StrHex("7500")), V311, offset: 15);

    [Fact]
    public void MQTT5_3_2_2_1_connack_reserved_acknowledge_flags_are_malformed()
    {
        Malformed(Hex.Parse("20 03 02 00 00"), V5, offset: 2);
        Malformed(Hex.Parse("20 03 80 00 00"), V5, offset: 2);
        Malformed(Hex.Parse("20 02 fe 00"), V311, offset: 2);
        Assert.True(Accepted<AnyPacket.ConnAck>(Hex.Parse("20 03 01 00 00"), V5).Packet.SessionPresent);
    }
}
