namespace Mqtt.Broker.Tests;

/// <summary>MQTT 3.1.1 sections 3.8-3.12: SUBSCRIBE, UNSUBSCRIBE and PINGREQ.</summary>
public sealed class Mqtt311SubscribeTests
{
    [Fact]
    public async Task MQTT311_3_8_4_1_subscribe_gets_suback_with_3_8_4_2_the_same_id()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new SubscribePacket { PacketId = 515, Subscriptions = SubscriptionList.Create(new Subscription(Wire.Text("t"), QoS2)) });
        ReceivedPacket ack = await client.ExpectAsync(PacketType.SubAck);
        // [MQTT-2.3.1-7] same id; 3.1.1 SUBACK: id then one return code.
        Assert.Equal(new byte[] { 0x02, 0x03, 0x02 }, ack.Body);
    }

    [Fact]
    public async Task MQTT311_3_8_4_4_multi_filter_subscribe_gets_one_suback_with_3_9_3_1_codes_in_order()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = new PermissiveAuthorizer());
        await using RawClient client = await broker.ConnectAsync("c", V311);
        byte[] codes = await client.SubscribeAsync(
        [
            new Subscription(Wire.Text("a"), QoS1),
            new Subscription(Wire.Text("deny/b"), QoS1),
            new Subscription(Wire.Text("c/+"), QoS2),
            new Subscription(Wire.Text("d/#"), QoS0),
        ]);
        // [MQTT-3.8.4-5] granted QoS or failure; [MQTT-3.9.3-2] only 0x00, 0x01, 0x02 and 0x80.
        Assert.Equal(new byte[] { 1, 0x80, 2, 0 }, codes);
    }

    [Fact]
    public async Task MQTT311_4_7_1_share_prefix_without_the_shared_form_is_subscribed_literally()
    {
        // 3.1.1 has no Shared Subscriptions: "$share/g" is an ordinary filter (as with Mosquitto), not a broken shared one.
        // (The default authorizer keeps clients from publishing to '$' topics; this one lets the test do it.)
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = new PermissiveAuthorizer());
        await using RawClient client = await broker.ConnectAsync("c", V311);
        Assert.Equal(new byte[] { 1 }, await client.SubscribeAsync("$share/g", QoS1));
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("$share/g", "literal", QoS1);
        Assert.Equal("literal", (await client.ExpectPublishPacketAsync()).PayloadText);
        await client.UnsubscribeAsync("$share/g");
        await publisher.PublishAsync("$share/g", "gone", QoS1);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_8_3_4_requested_qos_3_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new byte[] { 0x82, 0x06, 0x00, 0x01, 0x00, 0x01, (byte)'t', 0x03 });
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_8_3_4_reserved_bits_in_requested_qos_close_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        // Bit 2 is No Local in MQTT 5 but reserved in 3.1.1.
        await client.SendAsync(new byte[] { 0x82, 0x06, 0x00, 0x01, 0x00, 0x01, (byte)'t', 0x04 });
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_8_3_3_subscribe_without_filters_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new byte[] { 0x82, 0x02, 0x00, 0x01 });
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_8_1_1_subscribe_with_wrong_flags_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new byte[] { 0x80, 0x06, 0x00, 0x01, 0x00, 0x01, (byte)'t', 0x00 });
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_10_1_1_unsubscribe_with_wrong_flags_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new byte[] { 0xA0, 0x05, 0x00, 0x01, 0x00, 0x01, (byte)'t' });
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_10_3_2_unsubscribe_without_filters_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new byte[] { 0xA2, 0x02, 0x00, 0x01 });
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_10_4_1_unsubscribe_compares_filters_literally()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SubscribeAsync("a/#", QoS0);
        await client.UnsubscribeAsync("a/b");
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("a/b", "still");
        Assert.Equal("still", (await client.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT311_3_10_4_2_after_unsubscribe_no_new_messages_are_queued()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SubscribeAsync("t", QoS1);
        await client.UnsubscribeAsync("t");
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("t", "late", QoS1);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_10_4_3_qos1_delivery_already_started_is_completed()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync(V311);
        await client.ConnectAsync("c", cleanStart: false);
        await client.SubscribeAsync("t", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("t", "started", QoS1);
        PublishPacket p = await client.ExpectPublishAsync();
        await client.UnsubscribeAsync("t");
        client.Drop();
        await broker.WaitForOpenConnectionsAsync(1);
        // The delivery that had started is still owed after the unsubscribe.
        await using RawClient back = await broker.OpenAsync(V311);
        await back.ConnectAsync("c", cleanStart: false);
        PublishPacket again = await back.ExpectPublishAsync();
        Assert.Equal(p.PacketId, again.PacketId);
        Assert.True(again.Duplicate);
    }

    [Fact]
    public async Task MQTT311_3_10_4_4_unsuback_has_the_same_id_and_3_10_4_5_is_sent_when_nothing_was_deleted()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new UnsubscribePacket { PacketId = 700, TopicFilters = TopicFilterList.Create("none") });
        ReceivedPacket ack = await client.ExpectAsync(PacketType.UnsubAck);
        Assert.Equal(new byte[] { 0x02, 0xBC }, ack.Body);
    }

    [Fact]
    public async Task MQTT311_3_10_4_6_multi_filter_unsubscribe_gets_one_unsuback()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SubscribeAsync("a", QoS0);
        await client.SubscribeAsync("b", QoS0);
        await client.UnsubscribeAsync("a", "x", "b");
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("a");
        await publisher.PublishAsync("b");
        await publisher.SyncAsync();
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_12_4_1_pingreq_is_answered_with_pingresp()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.ExpectNothingPendingAsync();
    }
}
