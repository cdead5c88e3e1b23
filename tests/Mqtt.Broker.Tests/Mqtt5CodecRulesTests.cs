namespace Mqtt.Broker.Tests;

/// <summary>
/// MQTT 5.0 encoding rules as the broker applies them to what clients send (and keeps in what it forwards):
/// UTF-8 strings, topic and filter syntax, CONNECT flags and fields.
/// </summary>
public sealed class Mqtt5CodecRulesTests
{
    private static async Task ExpectConnectRefusedAsync(byte[] connect, ReasonCode expected)
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        await client.SendAsync(connect);
        await client.ExpectConnAckAsync(expected);
        await client.ExpectClosedAsync();
    }

    private static byte[] Connect(WillMessage? will = null, string? user = null, byte[]? password = null) =>
        Wire.Encode(Wire.Connect("c", V5, will: will, userName: user, password: password));

    [Fact]
    public Task MQTT5_3_1_2_11_will_qos_without_will_flag_is_malformed()
    {
        byte[] connect = Connect();
        connect[9] |= 0x08;
        return ExpectConnectRefusedAsync(connect, ReasonCode.MalformedPacket);
    }

    [Fact]
    public Task MQTT5_3_1_2_13_will_retain_without_will_flag_is_malformed()
    {
        byte[] connect = Connect();
        connect[9] |= 0x20;
        return ExpectConnectRefusedAsync(connect, ReasonCode.MalformedPacket);
    }

    [Fact]
    public Task MQTT5_3_1_2_12_will_qos_3_is_malformed()
    {
        byte[] connect = Connect(Wire.Will("w", "x"));
        connect[9] |= 0x18;
        return ExpectConnectRefusedAsync(connect, ReasonCode.MalformedPacket);
    }

    [Fact]
    public Task MQTT5_3_1_2_9_will_flag_without_will_fields_is_malformed()
    {
        byte[] connect = Connect();
        connect[9] |= 0x04;
        return ExpectConnectRefusedAsync(connect, ReasonCode.MalformedPacket);
    }

    [Fact]
    public Task MQTT5_3_1_2_17_user_name_flag_without_user_name_is_malformed()
    {
        byte[] connect = Connect();
        connect[9] |= 0x80;
        return ExpectConnectRefusedAsync(connect, ReasonCode.MalformedPacket);
    }

    [Fact]
    public Task MQTT5_3_1_2_19_password_flag_without_password_is_malformed()
    {
        byte[] connect = Connect();
        connect[9] |= 0x40;
        return ExpectConnectRefusedAsync(connect, ReasonCode.MalformedPacket);
    }

    [Fact]
    public Task MQTT5_3_1_2_16_user_name_present_without_its_flag_is_malformed()
    {
        byte[] connect = Connect(user: "u");
        connect[9] &= 0x7F;
        return ExpectConnectRefusedAsync(connect, ReasonCode.MalformedPacket);
    }

    [Fact]
    public Task MQTT5_3_1_2_18_password_present_without_its_flag_is_malformed()
    {
        byte[] connect = Connect(user: "u", password: "pw"u8.ToArray());
        connect[9] &= 0xBF;
        return ExpectConnectRefusedAsync(connect, ReasonCode.MalformedPacket);
    }

    [Fact]
    public Task MQTT5_3_1_3_3_connect_without_a_client_id_is_malformed()
    {
        // A CONNECT whose payload (the Client Identifier) is missing altogether.
        byte[] connect = Connect();
        byte[] cut = connect[..^3];
        cut[1] -= 3;
        return ExpectConnectRefusedAsync(cut, ReasonCode.MalformedPacket);
    }

    [Fact]
    public Task MQTT5_3_1_3_1_connect_payload_fields_out_of_order_are_malformed()
    {
        // User Name flagged, then Will flagged but not present: the reader takes the fields in the fixed order and fails.
        byte[] connect = Connect(user: "u");
        connect[9] |= 0x04;
        return ExpectConnectRefusedAsync(connect, ReasonCode.MalformedPacket);
    }

    [Fact]
    public Task MQTT5_3_1_3_4_client_id_that_is_not_utf8_is_malformed()
    {
        // Client id "c" is the last byte of a plain CONNECT; make it a lone continuation byte.
        byte[] connect = Connect();
        connect[^1] = 0x80;
        return ExpectConnectRefusedAsync(connect, ReasonCode.MalformedPacket);
    }

    [Fact]
    public Task MQTT5_3_1_3_11_will_topic_that_is_not_utf8_is_malformed()
    {
        byte[] connect = Connect(Wire.Will("w", "x"));
        int topic = Array.LastIndexOf(connect, (byte)'w');
        connect[topic] = 0xFF;
        return ExpectConnectRefusedAsync(connect, ReasonCode.MalformedPacket);
    }

    [Fact]
    public Task MQTT5_3_1_3_12_user_name_that_is_not_utf8_is_malformed()
    {
        byte[] connect = Connect(user: "u");
        connect[^1] = 0xC0;
        return ExpectConnectRefusedAsync(connect, ReasonCode.MalformedPacket);
    }

    [Fact]
    public async Task MQTT5_1_5_4_3_bom_in_a_topic_is_kept_and_not_stripped()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("\uFEFFbom", QoS0);
        await client.SubscribeAsync("bom", QoS0, subscriptionIdentifier: 9);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("\uFEFFbom", "with");
        ReceivedPacket p = await client.ExpectPublishPacketAsync();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF, (byte)'b', (byte)'o', (byte)'m' }, p.Publish.Topic.ToArray());
        Assert.Equal(0, p.Publish.Properties.SubscriptionIdentifiers.Count);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_4_7_3_3_topic_of_65535_bytes_is_accepted_and_matched()
    {
        await using var broker = await TestBroker.StartAsync();
        string topic = "long/" + new string('x', 65535 - 5);
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("long/+", QoS0);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync(topic, "far");
        Assert.Equal(topic, (await client.ExpectPublishPacketAsync()).Topic);
    }

    [Fact]
    public async Task MQTT5_4_7_3_1_empty_topic_filter_is_malformed()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SendAsync(new byte[] { 0x82, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00 });
        await client.ExpectDisconnectAsync(ReasonCode.MalformedPacket);
    }

    [Fact]
    public async Task MQTT5_4_7_3_2_topic_filter_with_u0000_is_malformed()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SendAsync(new byte[] { 0x82, 0x08, 0x00, 0x01, 0x00, 0x00, 0x02, (byte)'a', 0x00, 0x00 });
        await client.ExpectDisconnectAsync(ReasonCode.MalformedPacket);
    }

    [Fact]
    public async Task MQTT5_4_8_2_1_shared_filter_with_an_empty_share_name_is_malformed()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = SubscriptionList.Create(new Subscription(Wire.Text("$share//t"), QoS0)) });
        await client.ExpectDisconnectAsync(ReasonCode.MalformedPacket);
    }

    [Fact]
    public async Task MQTT5_4_8_2_2_share_name_with_a_wildcard_is_malformed()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = SubscriptionList.Create(new Subscription(Wire.Text("$share/g+/t"), QoS0)) });
        await client.ExpectDisconnectAsync(ReasonCode.MalformedPacket);
    }

    [Fact]
    public async Task MQTT5_4_8_2_2_share_name_without_a_topic_filter_is_malformed()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = SubscriptionList.Create(new Subscription(Wire.Text("$share/g"), QoS0)) });
        await client.ExpectDisconnectAsync(ReasonCode.MalformedPacket);
    }

    [Fact]
    public async Task MQTT5_1_5_7_1_user_property_that_is_not_utf8_is_malformed()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        // PUBLISH "t", property 0x26 name "k" value [0xFF].
        await client.SendAsync(new byte[] { 0x30, 0x0C, 0x00, 0x01, (byte)'t', 0x07, 0x26, 0x00, 0x01, (byte)'k', 0x00, 0x01, 0xFF, (byte)'p' });
        await client.ExpectDisconnectAsync(ReasonCode.MalformedPacket);
    }
}
