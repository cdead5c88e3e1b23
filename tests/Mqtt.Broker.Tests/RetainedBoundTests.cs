namespace Mqtt.Broker.Tests;

/// <summary>
/// BrokerOptions.MaximumRetainedMessages and MaximumRetainedBytes (docs/broker.md, limits): a retained PUBLISH the
/// store has no room for is refused as a whole, 0x97 Quota exceeded, and neither retained nor routed; replacing or
/// clearing a topic's message is always allowed, and clearing makes room.
/// </summary>
public sealed class RetainedBoundTests
{
    [Fact]
    public async Task MQTT5_a_retained_message_past_the_count_bound_gets_0x97_and_is_not_delivered_while_replacing_and_clearing_work()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumRetainedMessages = 2);
        await using RawClient live = await broker.ConnectAsync("live");
        await live.SubscribeAsync("r/#", QoS0);
        await using RawClient publisher = await broker.ConnectAsync("p");

        Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("r/1", "one", QoS1, retain: true));
        Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("r/2", "two", QoS1, retain: true));
        Assert.Equal(ReasonCode.QuotaExceeded, await publisher.PublishAsync("r/3", "three", QoS1, retain: true));
        Assert.Equal(ReasonCode.QuotaExceeded, await publisher.PublishAsync("r/3", "three", QoS2, retain: true));
        Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("r/1", "one again", QoS1, retain: true));
        Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("r/4", "not retained", QoS1));

        string[] delivered = [.. await Payloads(live, 4)];
        Assert.Equal(["one", "two", "one again", "not retained"], delivered);
        await live.ExpectNothingPendingAsync();

        Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("r/2", "", QoS1, retain: true));
        Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("r/3", "three", QoS1, retain: true));
        await using RawClient late = await broker.ConnectAsync("late");
        await late.SubscribeAsync("r/#", QoS0);
        Assert.Equal(["one again", "three"], (await Payloads(late, 2)).Order());
        await late.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_4_3_3_9_after_PUBREC_0x97_for_a_retained_message_past_the_byte_bound_its_packet_id_starts_a_new_message()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumRetainedBytes = 64);
        await using RawClient live = await broker.ConnectAsync("live");
        await live.SubscribeAsync("big", QoS0);
        await using RawClient publisher = await broker.ConnectAsync("p");
        PublishPacket big = new() { Topic = Wire.Text("big"), Payload = Wire.Text(new string('x', 100)), QoS = QoS2, Retain = true, PacketId = 7 };

        await publisher.SendAsync(big);
        Assert.Equal(ReasonCode.QuotaExceeded, (await publisher.ExpectAsync(PacketType.PubRec)).PubRec.ReasonCode);
        await publisher.SendAsync(big with { Retain = false });
        Assert.Equal(ReasonCode.Success, (await publisher.ExpectAsync(PacketType.PubRec)).PubRec.ReasonCode);

        Assert.Equal(new string('x', 100), MqttUtf8.GetString((await live.ExpectPublishAsync()).Payload));
        await live.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_a_retained_message_past_the_bound_is_acknowledged_and_dropped()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumRetainedMessages = 1);
        await using RawClient live = await broker.ConnectAsync("live", V311);
        await live.SubscribeAsync("r/#", QoS0);
        await using RawClient publisher = await broker.ConnectAsync("p", V311);

        Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("r/1", "one", QoS1, retain: true));
        Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("r/2", "two", QoS1, retain: true));
        Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("r/3", "three", QoS1));

        Assert.Equal(["one", "three"], await Payloads(live, 2));
        await live.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task A_retained_Will_the_store_has_no_room_for_is_still_delivered()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumRetainedMessages = 1);
        await using RawClient live = await broker.ConnectAsync("live");
        await live.SubscribeAsync("#", QoS0);
        await using RawClient publisher = await broker.ConnectAsync("p");
        Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("taken", "x", QoS1, retain: true));
        Assert.Equal("x", MqttUtf8.GetString((await live.ExpectPublishAsync()).Payload));

        await using RawClient dying = await broker.OpenAsync();
        await dying.ConnectAsync("dying", will: Wire.Will("will", "gone", retain: true));
        dying.Drop(); // no DISCONNECT: the Will goes out

        PublishPacket will = await live.ExpectPublishAsync();
        Assert.Equal("will", will.TopicString);
        Assert.Equal(1, broker.Broker.Retained.Count);
    }

    [Fact]
    public async Task A_retained_Will_too_large_to_replace_the_topics_message_clears_it_so_no_stale_online_is_left()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumRetainedBytes = 64);
        await using RawClient live = await broker.ConnectAsync("live");
        await live.SubscribeAsync("status/device", QoS0);
        await using RawClient device = await broker.OpenAsync();
        string offline = "offline " + new string('.', 80);
        await device.ConnectAsync("device", will: Wire.Will("status/device", offline, retain: true));
        Assert.Equal(ReasonCode.Success, await device.PublishAsync("status/device", "online", QoS1, retain: true));
        Assert.Equal("online", MqttUtf8.GetString((await live.ExpectPublishAsync()).Payload));

        device.Drop();

        Assert.Equal(offline, MqttUtf8.GetString((await live.ExpectPublishAsync()).Payload));
        await using RawClient late = await broker.ConnectAsync("late");
        await late.SubscribeAsync("status/device", QoS0);
        await late.ExpectNothingPendingAsync(); // not the stale "online"
    }

    private static async Task<List<string>> Payloads(RawClient client, int count)
    {
        var payloads = new List<string>();
        for (int i = 0; i < count; i++)
        {
            payloads.Add(MqttUtf8.GetString((await client.ExpectPublishAsync()).Payload));
        }
        return payloads;
    }
}
