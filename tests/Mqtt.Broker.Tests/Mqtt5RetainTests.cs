namespace Mqtt.Broker.Tests;

/// <summary>MQTT 5.0 3.3.1.3: retained messages, Retain Handling and Retain As Published.</summary>
public sealed class Mqtt5RetainTests
{
    [Fact]
    public async Task MQTT5_3_3_1_9_every_retained_message_reaches_a_new_qos0_subscription_past_the_slow_client_limits()
    {
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.MaximumPendingQoS0 = 5;
            o.MaximumQueuedBytes = 512;
        });
        await using RawClient publisher = await broker.ConnectAsync("p");
        string payload = new('x', 100);
        for (int i = 0; i < 40; i++)
        {
            await publisher.PublishAsync($"r/{i}", payload, QoS1, retain: true);
        }
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("r/#", QoS0);
        var topics = new HashSet<string>();
        for (int i = 0; i < 40; i++)
        {
            PublishPacket p = await client.ExpectPublishAsync();
            Assert.True(p.Retain);
            topics.Add(p.TopicString);
        }
        Assert.Equal(40, topics.Count);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_3_1_5_retained_message_is_stored_and_replaced()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("r", "first", QoS1, retain: true);
        await publisher.PublishAsync("r", "second", QoS1, retain: true);
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("r", QoS1);
        PublishPacket p = await client.ExpectPublishAsync();
        Assert.Equal("second", MqttUtf8.GetString(p.Payload));
        Assert.True(p.Retain);
        await client.SendAckAsync(PacketType.PubAck, p.PacketId);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_3_1_6_empty_retained_message_is_forwarded_and_clears_the_topic()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("r", "kept", QoS1, retain: true);
        await using RawClient live = await broker.ConnectAsync("live");
        await live.SubscribeAsync("r", QoS0, retainHandling: RetainHandling.DoNotSend);
        await publisher.PublishAsync("r", "", QoS1, retain: true);
        Assert.True((await live.ExpectPublishAsync()).Payload.IsEmpty);
        // [MQTT-3.3.1-7] and nothing is stored for the topic.
        await using RawClient late = await broker.ConnectAsync("late");
        await late.SubscribeAsync("r", QoS0);
        await late.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_3_1_7_empty_retained_message_is_never_stored()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("empty", "", QoS1, retain: true);
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("#", QoS0);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_3_1_8_non_retained_message_leaves_the_retained_one_alone()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("r", "retained", QoS1, retain: true);
        await publisher.PublishAsync("r", "transient", QoS1, retain: false);
        await publisher.PublishAsync("other", "transient", QoS1, retain: false);
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("#", QoS0);
        Assert.Equal("retained", MqttUtf8.GetString((await client.ExpectPublishAsync()).Payload));
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_3_1_9_retain_handling_0_sends_retained_messages_on_every_subscribe()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("r/1", "one", QoS1, retain: true);
        await publisher.PublishAsync("r/2", "two", QoS1, retain: true);
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("r/+", QoS0, retainHandling: RetainHandling.SendOnSubscribe);
        var got = new HashSet<string>
        {
            MqttUtf8.GetString((await client.ExpectPublishAsync()).Payload),
            MqttUtf8.GetString((await client.ExpectPublishAsync()).Payload),
        };
        Assert.Equal(new HashSet<string> { "one", "two" }, got);
        await client.SubscribeAsync("r/+", QoS0, retainHandling: RetainHandling.SendOnSubscribe);
        await client.ExpectPublishAsync();
        await client.ExpectPublishAsync();
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_3_1_10_retain_handling_1_sends_retained_messages_only_for_a_new_subscription()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("r", "retained", QoS1, retain: true);
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("r", QoS0, retainHandling: RetainHandling.SendOnNewSubscription);
        Assert.True((await client.ExpectPublishAsync()).Retain);
        await client.SubscribeAsync("r", QoS1, retainHandling: RetainHandling.SendOnNewSubscription);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_3_1_11_retain_handling_2_sends_no_retained_messages()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("r", "retained", QoS1, retain: true);
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("r", QoS0, retainHandling: RetainHandling.DoNotSend);
        await client.ExpectNothingPendingAsync();
        await publisher.PublishAsync("r", "live", QoS1, retain: true);
        Assert.Equal("live", MqttUtf8.GetString((await client.ExpectPublishAsync()).Payload));
    }

    [Fact]
    public async Task MQTT5_3_3_1_12_retain_as_published_0_forwards_with_retain_0()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("r", QoS0, retainAsPublished: false);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("r", "x", QoS1, retain: true);
        Assert.False((await client.ExpectPublishAsync()).Retain);
    }

    [Fact]
    public async Task MQTT5_3_3_1_13_retain_as_published_1_keeps_the_retain_flag()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("r", QoS0, retainAsPublished: true);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("r", "x", QoS1, retain: true);
        await publisher.PublishAsync("r", "y", QoS1, retain: false);
        Assert.True((await client.ExpectPublishAsync()).Retain);
        Assert.False((await client.ExpectPublishAsync()).Retain);
    }

    [Fact]
    public async Task MQTT5_3_3_2_5_expired_retained_message_is_not_sent()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("r/short", "short", QoS1, retain: true, properties: new MqttProperties { MessageExpiryInterval = 1 });
        await publisher.PublishAsync("r/long", "long", QoS1, retain: true, properties: new MqttProperties { MessageExpiryInterval = 3600 });
        await Task.Delay(2200);
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("r/#", QoS0);
        PublishPacket p = await client.ExpectPublishAsync();
        Assert.Equal("long", MqttUtf8.GetString(p.Payload));
        Assert.InRange(p.Properties.MessageExpiryInterval!.Value, 1u, 3599u);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_sec_3_3_1_3_retained_message_keeps_its_qos_up_to_the_granted_qos()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("r", "q2", QoS2, retain: true);
        await using RawClient low = await broker.ConnectAsync("low");
        await low.SubscribeAsync("r", QoS1);
        Assert.Equal(QoS1, (await low.ExpectPublishAsync()).QoS);
        await using RawClient high = await broker.ConnectAsync("high");
        await high.SubscribeAsync("r", QoS2);
        Assert.Equal(QoS2, (await high.ExpectPublishAsync()).QoS);
    }

    [Fact]
    public async Task MQTT5_4_6_0_5_a_message_published_while_retained_ones_are_sent_is_not_followed_by_the_older_retained_one()
    {
        var authorizer = new CallbackOnFirstReceiveCheck("c");
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = authorizer);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("r", "old", QoS1, retain: true);
        Task? republished = null;
        authorizer.Callback = () =>
        {
            // The subscriber's retained "old" has been read, not yet queued: "new" is published and routed now (the
            // PINGRESP after it says so), live to the new subscription.
            republished = Task.Run(async () =>
            {
                await publisher.PublishAsync("r", "new", QoS0, retain: true);
                await publisher.SyncAsync();
            });
            republished.Wait(RawClient.Timeout);
        };
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("r", QoS0);
        PublishPacket live = await client.ExpectPublishAsync();
        Assert.Equal("new", MqttUtf8.GetString(live.Payload));
        Assert.False(live.Retain);
        Assert.NotNull(republished);
        await republished;
        // "old" is no longer the topic's retained message: "new" goes in its place (the live copy may have been
        // dropped), never "old" after "new", which would leave the client with the stale value.
        PublishPacket retained = await client.ExpectPublishAsync();
        Assert.Equal("new", MqttUtf8.GetString(retained.Payload));
        Assert.True(retained.Retain);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_3_1_9_a_topic_retained_anew_during_a_burst_that_fills_the_queue_still_reaches_the_new_subscription()
    {
        var authorizer = new CallbackOnFirstReceiveCheck("c", "r/9");
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.Authorizer = authorizer;
            o.MaximumQueuedMessages = 2;
        });
        await using RawClient publisher = await broker.ConnectAsync("p");
        for (int i = 0; i < 10; i++)
        {
            await publisher.PublishAsync($"r/{i}", "old", QoS1, retain: true);
        }
        Task? republished = null;
        // r/9 is retained anew while the burst is taken from the store: its new message goes live to the subscription.
        authorizer.Callback = () =>
        {
            republished = Task.Run(() => publisher.PublishAsync("r/9", "new", QoS1, retain: true));
            republished.Wait(RawClient.Timeout);
        };
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("c", properties: new MqttProperties { ReceiveMaximum = 1 });
        await client.SubscribeAsync("r/#", QoS1);
        var r9 = new List<(string Payload, bool Retain)>();
        // The ten retained messages, a queue of two for them, and the live one.
        for (int i = 0; i < 11; i++)
        {
            PublishPacket p = await client.ExpectPublishAsync();
            if (p.TopicString == "r/9")
            {
                r9.Add((MqttUtf8.GetString(p.Payload), p.Retain));
            }
            await client.SendAckAsync(PacketType.PubAck, p.PacketId);
        }
        // Never "old", the stale value: "new" live, and "new" in old's place among the retained ones.
        Assert.Equal([("new", false), ("new", true)], r9);
        Assert.NotNull(republished);
        await republished;
        await client.ExpectNothingPendingAsync();
    }
}
