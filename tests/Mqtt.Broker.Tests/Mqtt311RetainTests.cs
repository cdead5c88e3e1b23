namespace Mqtt.Broker.Tests;

/// <summary>MQTT 3.1.1 3.3.1.3: retained messages.</summary>
public sealed class Mqtt311RetainTests
{
    [Fact]
    public async Task MQTT311_3_3_1_5_retained_message_is_stored_for_future_subscribers_and_3_3_1_6_sent_on_subscribe()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("r", "stored", QoS1, retain: true);
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SubscribeAsync("r", QoS1);
        PublishPacket p = await client.ExpectPublishAsync();
        Assert.Equal("stored", MqttUtf8.GetString(p.Payload));
        Assert.Equal(QoS1, p.QoS);
        // [MQTT-3.3.1-8] sent because of a new subscription: RETAIN 1.
        Assert.True(p.Retain);
    }

    [Fact]
    public async Task MQTT311_3_3_1_7_qos0_retained_message_replaces_the_previous_one()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("r", "old", QoS2, retain: true);
        await publisher.PublishAsync("r", "new", QoS0, retain: true);
        await publisher.SyncAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SubscribeAsync("r", QoS2);
        PublishPacket p = await client.ExpectPublishAsync();
        Assert.Equal("new", MqttUtf8.GetString(p.Payload));
        Assert.Equal(QoS0, p.QoS);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_3_1_9_established_subscription_gets_retain_0()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SubscribeAsync("r", QoS0);
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("r", "live", QoS1, retain: true);
        Assert.False((await client.ExpectPublishAsync()).Retain);
    }

    [Fact]
    public async Task MQTT311_3_3_1_10_empty_retained_message_is_delivered_and_deletes_the_retained_one()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("r", "old", QoS1, retain: true);
        await using RawClient live = await broker.ConnectAsync("live", V311);
        await live.SubscribeAsync("r", QoS0);
        await live.ExpectPublishAsync();
        await publisher.PublishAsync("r", "", QoS1, retain: true);
        Assert.True((await live.ExpectPublishAsync()).Payload.IsEmpty);
        // [MQTT-3.3.1-11] and nothing is stored.
        await using RawClient late = await broker.ConnectAsync("late", V311);
        await late.SubscribeAsync("r", QoS0);
        await late.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_3_1_11_empty_retained_message_is_never_stored()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("e", "", QoS1, retain: true);
        await using RawClient late = await broker.ConnectAsync("late", V311);
        await late.SubscribeAsync("#", QoS0);
        await late.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_3_1_12_non_retained_message_is_not_stored_and_leaves_the_retained_one()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("r", "retained", QoS1, retain: true);
        await publisher.PublishAsync("r", "plain", QoS1);
        await using RawClient late = await broker.ConnectAsync("late", V311);
        await late.SubscribeAsync("r", QoS0);
        Assert.Equal("retained", MqttUtf8.GetString((await late.ExpectPublishAsync()).Payload));
        await late.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_8_4_3_identical_filter_replaces_the_subscription_and_resends_retained()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("r", "retained", QoS1, retain: true);
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SubscribeAsync("r", QoS0);
        Assert.Equal(QoS0, (await client.ExpectPublishAsync()).QoS);
        await client.SubscribeAsync("r", QoS1);
        PublishPacket again = await client.ExpectPublishAsync();
        Assert.Equal(QoS1, again.QoS);
        Assert.True(again.Retain);
        await client.SendAckAsync(PacketType.PubAck, again.PacketId);
        await publisher.PublishAsync("r", "live", QoS1);
        Assert.Equal(QoS1, (await client.ExpectPublishAsync()).QoS);
        await client.ExpectNothingPendingAsync();
    }
}
