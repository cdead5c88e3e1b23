namespace Mqtt.Broker.Tests;

/// <summary>
/// MQTT 5.0 4.13 and the malformed-packet rules of section 3 as the server applies them: the offending
/// connection gets DISCONNECT with the right Reason Code and is closed; everyone else carries on.
/// </summary>
public sealed class Mqtt5BadInputTests
{
    /// <summary>Connects a victim, sends it <paramref name="bytes"/>, expects DISCONNECT <paramref name="expected"/>, and checks a bystander still works.</summary>
    private static async Task ExpectRejectedAsync(byte[] bytes, ReasonCode expected, Action<BrokerOptions>? configure = null)
    {
        await using var broker = await TestBroker.StartAsync(configure);
        await using RawClient bystander = await broker.ConnectAsync("bystander");
        await bystander.SubscribeAsync("t", QoS1);
        await using RawClient victim = await broker.ConnectAsync("victim");
        await victim.SendAsync(bytes);
        await victim.ExpectDisconnectAsync(expected);
        await using RawClient publisher = await broker.ConnectAsync("publisher");
        Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("t", "still-working", QoS1));
        Assert.Equal("still-working", (await bystander.ExpectPublishPacketAsync()).PayloadText);
        await broker.WaitForOpenConnectionsAsync(2);
    }

    [Fact]
    public Task MQTT5_4_13_1_1_garbage_bytes_get_0x81_and_close() =>
        ExpectRejectedAsync([0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x13, 0x37], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_4_13_1_1_reserved_packet_type_0_is_malformed() =>
        ExpectRejectedAsync([0x00, 0x00], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_4_13_1_1_huge_remaining_length_gets_0x95_before_the_body_arrives() =>
        ExpectRejectedAsync([0x30, 0xFF, 0xFF, 0xFF, 0x7F], ReasonCode.PacketTooLarge);

    [Fact]
    public Task MQTT5_1_5_5_1_overlong_remaining_length_is_malformed() =>
        // PINGREQ with Remaining Length 0 written in two bytes.
        ExpectRejectedAsync([0xC0, 0x80, 0x00], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_sec_1_5_5_remaining_length_over_four_bytes_is_malformed() =>
        ExpectRejectedAsync([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], ReasonCode.MalformedPacket, o => o.MaximumPacketSize = int.MaxValue);

    [Fact]
    public Task MQTT5_4_13_1_1_property_not_allowed_in_publish_is_malformed() =>
        // PUBLISH "t" with property 0x11 Session Expiry Interval, which belongs to CONNECT.
        ExpectRejectedAsync([0x30, 0x0A, 0x00, 0x01, (byte)'t', 0x05, 0x11, 0x00, 0x00, 0x00, 0x01, (byte)'p'], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_4_13_1_1_repeated_property_is_a_protocol_error() =>
        // PUBLISH "t" with Payload Format Indicator twice.
        ExpectRejectedAsync([0x30, 0x09, 0x00, 0x01, (byte)'t', 0x04, 0x01, 0x00, 0x01, 0x00, (byte)'p'], ReasonCode.ProtocolError);

    [Fact]
    public Task MQTT5_4_13_1_1_property_length_past_the_end_is_malformed() =>
        ExpectRejectedAsync([0x30, 0x05, 0x00, 0x01, (byte)'t', 0x10, (byte)'p'], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_3_3_1_4_publish_with_qos_3_is_malformed() =>
        ExpectRejectedAsync([0x36, 0x06, 0x00, 0x01, (byte)'t', 0x00, 0x01, 0x00], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_3_3_1_2_qos0_publish_with_dup_is_malformed() =>
        ExpectRejectedAsync([0x38, 0x04, 0x00, 0x01, (byte)'t', 0x00], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_3_3_2_2_topic_name_with_a_wildcard_is_malformed() =>
        // [MQTT-4.7.0-1] wildcards belong in Topic Filters only.
        ExpectRejectedAsync([0x30, 0x04, 0x00, 0x01, (byte)'#', 0x00], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_1_5_4_1_topic_name_that_is_not_utf8_is_malformed() =>
        ExpectRejectedAsync([0x30, 0x05, 0x00, 0x02, 0xC3, 0x28, 0x00], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_1_5_4_2_topic_name_with_u0000_is_malformed() =>
        ExpectRejectedAsync([0x30, 0x05, 0x00, 0x02, (byte)'a', 0x00, 0x00], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_3_3_2_14_response_topic_with_a_wildcard_is_malformed() =>
        ExpectRejectedAsync([0x30, 0x09, 0x00, 0x01, (byte)'t', 0x04, 0x08, 0x00, 0x01, (byte)'+', (byte)'p'], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_1_5_4_1_topic_with_an_encoded_surrogate_is_malformed() =>
        ExpectRejectedAsync([0x30, 0x07, 0x00, 0x03, 0xED, 0xA0, 0x80, 0x00, (byte)'p'], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_2_2_2_1_publish_without_a_property_length_is_malformed() =>
        // MQTT 5 PUBLISH "t" QoS 1 that ends after its Packet Identifier: the Property Length 0 is required.
        ExpectRejectedAsync([0x32, 0x05, 0x00, 0x01, (byte)'t', 0x00, 0x01], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_3_3_2_1_publish_too_short_for_its_topic_name_is_malformed() =>
        ExpectRejectedAsync([0x30, 0x03, 0x00, 0x05, (byte)'t'], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_3_3_2_13_response_topic_that_is_not_utf8_is_malformed() =>
        ExpectRejectedAsync([0x30, 0x09, 0x00, 0x01, (byte)'t', 0x04, 0x08, 0x00, 0x01, 0xFF, (byte)'p'], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_3_3_2_19_content_type_that_is_not_utf8_is_malformed() =>
        ExpectRejectedAsync([0x30, 0x09, 0x00, 0x01, (byte)'t', 0x04, 0x03, 0x00, 0x01, 0xFF, (byte)'p'], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_3_8_3_1_subscribe_filter_that_is_not_utf8_is_malformed() =>
        ExpectRejectedAsync([0x82, 0x08, 0x00, 0x01, 0x00, 0x00, 0x02, 0xC3, 0x28, 0x00], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_3_10_3_1_unsubscribe_filter_that_is_not_utf8_is_malformed() =>
        ExpectRejectedAsync([0xA2, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, 0xFF], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_3_6_1_1_pubrel_with_wrong_flags_is_malformed() =>
        // [MQTT-2.1.3-1] reserved flag bits must carry the tabulated value.
        ExpectRejectedAsync([0x60, 0x02, 0x00, 0x01], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_3_8_1_1_subscribe_with_wrong_flags_is_malformed() =>
        ExpectRejectedAsync([0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, (byte)'t'], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_3_10_1_1_unsubscribe_with_wrong_flags_is_malformed() =>
        ExpectRejectedAsync([0xA0, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, (byte)'t'], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_3_14_1_1_disconnect_with_reserved_flags_is_malformed() =>
        ExpectRejectedAsync([0xE1, 0x00], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_3_15_1_1_auth_with_reserved_flags_is_malformed() =>
        ExpectRejectedAsync([0xF1, 0x00], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_4_7_1_1_multi_level_wildcard_not_last_is_malformed() =>
        ExpectRejectedAsync([0x82, 0x0B, 0x00, 0x01, 0x00, 0x00, 0x05, (byte)'a', (byte)'/', (byte)'#', (byte)'/', (byte)'b', 0x00], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_4_7_1_2_single_level_wildcard_not_a_whole_level_is_malformed() =>
        ExpectRejectedAsync([0x82, 0x0A, 0x00, 0x01, 0x00, 0x00, 0x04, (byte)'a', (byte)'+', (byte)'/', (byte)'b', 0x00], ReasonCode.MalformedPacket);

    [Fact]
    public Task MQTT5_3_10_3_2_unsubscribe_without_filters_is_a_protocol_error() =>
        ExpectRejectedAsync([0xA2, 0x03, 0x00, 0x01, 0x00], ReasonCode.ProtocolError);

    [Fact]
    public Task MQTT5_2_2_1_3_publish_qos1_with_packet_id_0_is_a_protocol_error() =>
        ExpectRejectedAsync([0x32, 0x06, 0x00, 0x01, (byte)'t', 0x00, 0x00, 0x00], ReasonCode.ProtocolError);

    [Fact]
    public Task MQTT5_4_13_1_1_client_sending_a_server_only_packet_is_a_protocol_error() =>
        ExpectRejectedAsync([0x20, 0x03, 0x00, 0x00, 0x00], ReasonCode.ProtocolError);

    [Fact]
    public Task MQTT5_4_13_1_1_client_sending_suback_is_a_protocol_error() =>
        ExpectRejectedAsync([0x90, 0x04, 0x00, 0x01, 0x00, 0x00], ReasonCode.ProtocolError);

    [Fact]
    public Task MQTT5_3_14_2_1_disconnect_with_an_undefined_reason_code_is_a_protocol_error() =>
        ExpectRejectedAsync([0xE0, 0x01, 0x05], ReasonCode.ProtocolError);

    [Fact]
    public Task MQTT5_sec_3_14_2_2_2_session_expiry_set_in_disconnect_after_connect_had_0_is_a_protocol_error() =>
        ExpectRejectedAsync([0xE0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x0A], ReasonCode.ProtocolError);

    [Fact]
    public async Task MQTT5_3_14_2_1_server_disconnect_reason_codes_are_disconnect_codes()
    {
        // Every DISCONNECT the suite receives is decoded by the codec, which refuses codes outside the table;
        // here one more, explicitly.
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SendAsync(new byte[] { 0x00 });
        await client.SendAsync(new byte[] { 0x00 });
        DisconnectPacket disconnect = await client.ExpectDisconnectAsync(ReasonCode.MalformedPacket);
        Assert.True(ReasonCodes.IsValidFor(PacketType.Disconnect, disconnect.ReasonCode));
    }

    [Fact]
    public async Task MQTT5_3_14_0_1_malformed_connect_gets_connack_not_disconnect()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        byte[] connect = Wire.Encode(Wire.Connect("c", V5, will: Wire.Will("w", "x")));
        connect[9] |= 0x18; // Will QoS 3
        await client.SendAsync(connect);
        await client.ExpectConnAckAsync(ReasonCode.MalformedPacket);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT5_3_1_4_1_connect_with_a_malformed_property_is_refused_and_closed()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        // CONNECT v5 with property 0x01 (Payload Format Indicator, a PUBLISH property).
        byte[] connect = [0x10, 0x10, 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x05, 0x02, 0x00, 0x00, 0x02, 0x01, 0x00, 0x00, 0x01, (byte)'c'];
        await client.SendAsync(connect);
        await client.ExpectConnAckAsync(ReasonCode.MalformedPacket);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT5_4_13_1_1_huge_connect_before_connack_gets_0x95()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumPacketSize = 1024);
        await using RawClient client = await broker.OpenAsync();
        await client.SendAsync(new byte[] { 0x10, 0xFF, 0xFF, 0xFF, 0x7F });
        await client.ExpectConnAckAsync(ReasonCode.PacketTooLarge);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT5_3_1_0_1_a_first_packet_too_large_that_is_not_a_connect_is_closed_without_an_answer()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumPacketSize = 1024);
        await using RawClient client = await broker.OpenAsync();
        await client.SendAsync(new byte[] { 0x30, 0xFF, 0xFF, 0xFF, 0x7F });
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT5_4_13_2_1_connection_closes_after_a_disconnect_above_0x80_even_mid_stream()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("t", QoS0);
        var bytes = new List<byte>();
        bytes.AddRange(new byte[] { 0x00, 0x00 });
        bytes.AddRange(new byte[] { 0xC0, 0x00 });
        await client.SendAsync(bytes.ToArray());
        // Nothing after the bad packet is processed: no PINGRESP, only DISCONNECT then the close.
        await client.ExpectDisconnectAsync(ReasonCode.MalformedPacket);
    }

    [Fact]
    public async Task MQTT5_4_13_1_1_many_bad_clients_leave_the_broker_serving_others()
    {
        await using var broker = await TestBroker.StartAsync(o => o.ConnectTimeout = TimeSpan.FromSeconds(2));
        await using RawClient good = await broker.ConnectAsync("good");
        await good.SubscribeAsync("t", QoS0);
        byte[][] attacks =
        [
            [0xFF, 0xFF, 0xFF],
            [0x10, 0xFF, 0xFF, 0xFF, 0x7F],
            [0x10, 0x05, 0x00, 0x04, (byte)'M'],
            [0x30, 0x00],
            [0x12, 0x00],
        ];
        var bad = new List<RawClient>();
        try
        {
            foreach (byte[] attack in attacks)
            {
                RawClient client = await broker.OpenAsync();
                bad.Add(client);
                await client.SendAsync(attack);
            }
            foreach (RawClient client in bad)
            {
                for (int i = 0; i < 3; i++)
                {
                    ReceivedPacket? packet = await client.ReadAsync(TimeSpan.FromSeconds(10));
                    if (packet is null)
                    {
                        break;
                    }
                    Assert.True(packet.Type == PacketType.ConnAck && packet.ConnAck.ReasonCode != ReasonCode.Success, $"unexpected {packet}");
                }
            }
            await broker.WaitForOpenConnectionsAsync(1);
            await using RawClient publisher = await broker.ConnectAsync("p");
            await publisher.PublishAsync("t", "alive", QoS1);
            Assert.Equal("alive", (await good.ExpectPublishPacketAsync()).PayloadText);
        }
        finally
        {
            foreach (RawClient client in bad)
            {
                await client.DisposeAsync();
            }
        }
    }
}
