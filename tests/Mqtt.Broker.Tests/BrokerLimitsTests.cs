namespace Mqtt.Broker.Tests;

/// <summary>The broker's own limits and policies where the spec leaves the choice to the server (documented in docs/conformance-broker.md).</summary>
public sealed class BrokerLimitsTests
{
    [Fact]
    public async Task MQTT5_sec_4_1_offline_session_queue_is_bounded_and_the_excess_counted_as_dropped()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumQueuedMessages = 3);
        await SubscribeAndGoOfflineAsync(broker);
        await using RawClient publisher = await broker.ConnectAsync("p");
        long droppedBefore = broker.Statistics.MessagesDropped;
        for (int i = 0; i < 10; i++)
        {
            // Dropped or not, there is a subscriber: never 0x10 No matching subscribers.
            Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("t", $"{i}", QoS1));
        }
        Assert.Equal(7, broker.Statistics.MessagesDropped - droppedBefore);
        await using RawClient back = await ComeBackAsync(broker);
        // The policy: a full queue refuses new messages; the oldest three are kept, in order.
        await back.ExpectPayloadsInOrderAsync(3);
        await back.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_3_2_5_expired_messages_in_a_full_offline_queue_make_room_for_fresh_ones()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumQueuedMessages = 3);
        await SubscribeAndGoOfflineAsync(broker);
        await using RawClient publisher = await broker.ConnectAsync("p");
        for (int i = 0; i < 3; i++)
        {
            await publisher.PublishAsync("t", $"short {i}", QoS1, properties: new MqttProperties { MessageExpiryInterval = 1 });
        }
        await Task.Delay(1200);
        await publisher.PublishAsync("t", "fresh 0", QoS1);
        await publisher.PublishAsync("t", "fresh 1", QoS1);
        await using RawClient back = await ComeBackAsync(broker);
        Assert.Equal("fresh 0", MqttUtf8.GetString((await back.ExpectPublishAsync()).Payload));
        Assert.Equal("fresh 1", MqttUtf8.GetString((await back.ExpectPublishAsync()).Payload));
        await back.ExpectNothingPendingAsync();
    }

    /// <summary>
    /// Retained messages wait for a client that takes them slowly, up to the retained store's bound in all: the retained
    /// messages of a second subscription past it are dropped and counted, and every other one arrives.
    /// </summary>
    [Fact]
    public async Task MQTT5_sec_4_1_retained_messages_waiting_past_the_retained_bound_are_counted_as_dropped()
    {
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.MaximumQueuedMessages = 3;
            o.MaximumRetainedMessages = 10;
        });
        await using RawClient publisher = await broker.ConnectAsync("p");
        for (int i = 0; i < 10; i++)
        {
            await publisher.PublishAsync($"r/{i}", $"{i}", QoS1, retain: true);
        }
        await using RawClient client = await broker.ConnectAsync("c", properties: new MqttProperties { ReceiveMaximum = 1 });
        await client.SubscribeAsync("r/#", QoS1);
        PublishPacket first = await client.ExpectPublishAsync();
        long droppedBefore = broker.Statistics.MessagesDropped;
        // Subscribing again (Retain Handling 0) while most of the first ten wait: ten more would pass the bound.
        await client.SubscribeAsync("r/#", QoS1);
        await Eventually.TrueAsync(() => broker.Statistics.MessagesDropped > droppedBefore, "retained messages to be dropped");
        long dropped = broker.Statistics.MessagesDropped - droppedBefore;
        int received = 1;
        await client.SendAckAsync(PacketType.PubAck, first.PacketId);
        for (; received < 20 - dropped; received++)
        {
            PublishPacket publish = await client.ExpectPublishAsync();
            Assert.True(publish.Retain);
            await client.SendAckAsync(PacketType.PubAck, publish.PacketId);
        }
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_sec_4_1_max_queued_messages_0_means_no_bound_as_in_Mosquitto()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumQueuedMessages = 0);
        await SubscribeAndGoOfflineAsync(broker);
        await using RawClient publisher = await broker.ConnectAsync("p");
        const int Messages = 1500;
        for (int i = 0; i < Messages; i++)
        {
            await publisher.PublishAsync("t", $"{i}", QoS1);
        }
        await using RawClient back = await ComeBackAsync(broker);
        await back.ExpectPayloadsInOrderAsync(Messages);
        await back.ExpectNothingPendingAsync();
        Assert.Equal(0, broker.Statistics.MessagesDropped);
    }

    [Fact]
    public async Task MQTT5_sec_4_9_messages_in_flight_to_a_client_are_capped_by_the_broker_whatever_its_receive_maximum()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumInflightMessages = 10);
        // No Receive Maximum property: the client takes up to 65,535 unacknowledged messages.
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("t", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("p");
        for (int i = 0; i < 15; i++)
        {
            await publisher.PublishAsync("t", $"{i}", QoS1);
        }
        var unacknowledged = new List<PublishPacket>();
        for (int i = 0; i < 10; i++)
        {
            unacknowledged.Add(await sub.ExpectPublishAsync());
        }
        await sub.ExpectNothingPendingAsync();
        await sub.SendAckAsync(PacketType.PubAck, unacknowledged[0].PacketId);
        Assert.Equal("10", MqttUtf8.GetString((await sub.ExpectPublishAsync()).Payload));
    }

    [Fact]
    public async Task MQTT5_sec_4_7_2_clients_cannot_publish_to_sys_topics()
    {
        await using var broker = await TestBroker.StartAsync(o => o.SysInterval = TimeSpan.FromHours(1));
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("$SYS/#", QoS0, retainHandling: RetainHandling.DoNotSend);
        await using RawClient client = await broker.ConnectAsync("c");
        Assert.Equal(ReasonCode.NotAuthorized, await client.PublishAsync("$SYS/broker/version", "forged", QoS1, retain: true));
        await sub.ExpectNothingPendingAsync();
        await using RawClient late = await broker.ConnectAsync("late");
        await late.SubscribeAsync("$SYS/broker/version", QoS0);
        Assert.StartsWith("mqttcore version ", (await late.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_sec_4_7_2_sys_topics_mean_what_mosquittos_of_the_same_name_mean()
    {
        await using var broker = await TestBroker.StartAsync(o => o.SysInterval = TimeSpan.FromHours(1));
        await using (RawClient away = await broker.ConnectAsync("away", properties: Persistent()))
        {
            await away.SendAsync(new DisconnectPacket());
            await away.ExpectClosedAsync();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient reader = await broker.ConnectAsync("reader");
        Assert.Equal(ReasonCode.NoMatchingSubscribers, await reader.PublishAsync("t", "12345", QoS1));
        broker.Broker.PublishSysTopics();

        await reader.SubscribeAsync("$SYS/broker/#", QoS0);
        var values = new Dictionary<string, string>();
        // Twelve topics (docs/broker.md).
        while (values.Count < 12)
        {
            ReceivedPacket p = await reader.ExpectPublishPacketAsync();
            values[p.Publish.TopicString] = p.PayloadText;
        }
        // Connected or away with a session, as Mosquitto counts clients/total; not connections since start (2 here).
        Assert.Equal("2", values["$SYS/broker/clients/total"]);
        Assert.Equal("1", values["$SYS/broker/publish/messages/received"]);
        Assert.DoesNotContain("$SYS/broker/messages/received", values.Keys);
        Assert.Matches(@"^mqttcore version \d+\.\d+", values["$SYS/broker/version"]);
    }

    [Fact]
    public async Task MQTT5_sec_4_7_2_a_will_cannot_forge_sys_topics()
    {
        await using var broker = await TestBroker.StartAsync(o => o.SysInterval = TimeSpan.FromHours(1));
        await using RawClient client = await broker.OpenAsync();
        await client.SendConnectAsync("forger", will: Wire.Will("$SYS/broker/version", "forged", retain: true));
        ReceivedPacket? answer = await client.ReadAsync();
        if (answer is not null && answer.Type == PacketType.ConnAck && answer.ConnAck.ReasonCode == ReasonCode.Success)
        {
            client.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient late = await broker.ConnectAsync("late");
        await late.SubscribeAsync("$SYS/broker/version", QoS0);
        Assert.StartsWith("mqttcore version ", (await late.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT311_sec_3_1_2_5_will_to_a_topic_the_client_may_not_publish_is_refused_with_return_code_5()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = new PermissiveAuthorizer());
        await using RawClient client = await broker.OpenAsync(V311);
        await client.SendConnectAsync("c", will: Wire.Will("deny/will", "x"));
        Assert.Equal(new byte[] { 0, 5 }, (await client.ExpectAsync(PacketType.ConnAck)).Body);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT5_sec_3_1_2_5_will_to_a_topic_the_client_may_not_publish_is_refused_with_0x87()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = new PermissiveAuthorizer());
        await using RawClient client = await broker.OpenAsync();
        await client.SendConnectAsync("c", will: Wire.Will("deny/will", "x"));
        await client.ExpectConnAckAsync(ReasonCode.NotAuthorized);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT5_sec_4_13_connections_above_the_maximum_are_closed_at_once()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumConnections = 2);
        await using RawClient a = await broker.ConnectAsync("a");
        await using RawClient b = await broker.ConnectAsync("b");
        await using RawClient c = await broker.OpenAsync();
        await c.ExpectClosedAsync();
        await a.ExpectNothingPendingAsync();
        await b.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_sec_4_13_connections_above_the_maximum_are_counted_and_logged_at_most_once_a_minute()
    {
        var log = new WarningLog();
        await using var broker = await TestBroker.StartAsync(o => o.MaximumConnections = 1, log);
        await using RawClient a = await broker.ConnectAsync("a");
        for (int i = 0; i < 3; i++)
        {
            await using RawClient refused = await broker.OpenAsync();
            await refused.ExpectClosedAsync();
        }
        Assert.Equal(3, broker.Statistics.ConnectionsRefused);
        string line = Assert.Single(log.Lines);
        Assert.StartsWith("refusing a connection from 127.0.0.1:", line);
        Assert.Contains("the most allowed (--max-connections)", line);
    }

    /// <summary>Stopping the broker closes its listeners: that is no failure to accept connections to warn about.</summary>
    [Fact]
    public async Task Stopping_the_broker_logs_no_warning()
    {
        var log = new WarningLog();
        TestBroker broker = await TestBroker.StartAsync(configure: null, log);
        await using (RawClient client = await broker.ConnectAsync("c"))
        {
            await client.SyncAsync();
        }
        await broker.DisposeAsync();
        Assert.Empty(log.Lines);
    }

    [Fact]
    public async Task MQTT5_sec_4_8_2_unsubscribing_a_shared_subscription_leaves_the_group()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient a = await broker.ConnectAsync("a");
        await using RawClient b = await broker.ConnectAsync("b");
        await a.SubscribeAsync("$share/g/t", QoS0);
        await b.SubscribeAsync("$share/g/t", QoS0);
        Assert.Equal(new byte[] { 0 }, await a.UnsubscribeAsync("$share/g/t"));
        await using RawClient publisher = await broker.ConnectAsync("p");
        for (int i = 0; i < 4; i++)
        {
            await publisher.PublishAsync("t", $"{i}", QoS1);
        }
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal($"{i}", (await b.ExpectPublishPacketAsync()).PayloadText);
        }
        await a.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_sec_3_8_2_1_2_retained_messages_carry_the_subscription_identifier()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("r/x", "kept", QoS1, retain: true);
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("r/#", QoS0, subscriptionIdentifier: 42);
        PublishPacket p = await client.ExpectPublishAsync();
        Assert.True(p.Retain);
        Assert.Equal(new[] { 42 }, Wire.Ids(p.Properties.SubscriptionIdentifiers));
    }

    [Fact]
    public async Task MQTT5_sec_3_1_4_3_311_and_5_clients_share_sessions_by_client_id()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient old = await broker.ConnectAsync("same", V311);
        await using RawClient newer = await broker.ConnectAsync("same", V5);
        // The 3.1.1 connection is simply closed: 3.1.1 has no DISCONNECT from the server.
        await old.ExpectClosedAsync();
        await newer.ExpectNothingPendingAsync();
    }
    [Fact]
    public async Task MQTT5_sec_4_7_wildcard_filters_that_come_and_go_leave_nothing_in_the_topic_tree()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient device = await broker.ConnectAsync("device"))
        {
            for (int i = 0; i < 20; i++)
            {
                await device.SubscribeAsync($"devices/{i}/#", QoS1);
                await device.SubscribeAsync($"devices/{i}/+/status", QoS1);
                await device.SubscribeAsync($"$share/g{i}/fleet/{i}/+", QoS1);
            }
            Assert.True(broker.Broker.Subscriptions.NodeCount > 60);
            for (int i = 0; i < 10; i++)
            {
                await device.UnsubscribeAsync($"devices/{i}/#", $"devices/{i}/+/status", $"$share/g{i}/fleet/{i}/+");
            }
            Assert.True(broker.Broker.Subscriptions.NodeCount > 30);
            // The rest go when the session ends (Clean Start, no expiry), as when a device disconnects.
        }
        await broker.WaitForOpenConnectionsAsync(0);
        Assert.Equal(1, broker.Broker.Subscriptions.NodeCount);
        Assert.Equal(0, broker.Broker.Subscriptions.Count);
    }

    [Fact]
    public async Task MQTT5_sec_4_7_unsubscribing_one_filter_keeps_the_trie_that_other_filters_share()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("a/+/c/#", QoS1);
        await client.SubscribeAsync("a/+/c", QoS1);
        await client.UnsubscribeAsync("a/+/c/#");
        await client.PublishAsync("a/b/c", "kept", QoS1);
        Assert.Equal("kept", (await client.ExpectPublishPacketAsync()).PayloadText);
        await client.PublishAsync("a/b/c/d", "gone", QoS1);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public Task MQTT5_sec_4_7_a_publish_deeper_than_the_topic_level_limit_gets_0x90_and_goes_nowhere() => DeepPublishAsync(V5);

    [Fact]
    public Task MQTT311_sec_4_7_a_publish_deeper_than_the_topic_level_limit_is_acknowledged_and_dropped() => DeepPublishAsync(V311);

    private static async Task DeepPublishAsync(ProtocolVersion version)
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumTopicLevels = 5);
        await using RawClient sub = await broker.ConnectAsync("sub", version);
        await sub.SubscribeAsync("#", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("p", version);
        Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("1/2/3/4/5", "five levels", QoS1));
        Assert.Equal("five levels", (await sub.ExpectPublishPacketAsync()).PayloadText);
        Assert.Equal(version == V5 ? ReasonCode.TopicNameInvalid : ReasonCode.Success, await publisher.PublishAsync("1/2/3/4/5/6", "six", QoS1));
        Assert.Equal(version == V5 ? ReasonCode.TopicNameInvalid : ReasonCode.Success, await publisher.PublishAsync("1/2/3/4/5/", "six", QoS2));
        await publisher.PublishAsync("//////", "seven", QoS0);
        await sub.ExpectNothingPendingAsync();
        await publisher.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_sec_4_7_a_filter_deeper_than_the_topic_level_limit_gets_0x8F()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumTopicLevels = 5);
        await using RawClient client = await broker.ConnectAsync("c");
        byte[] codes = await client.SubscribeAsync(
            [new Subscription(Wire.Text("1/2/3/4/#"), QoS1), new Subscription(Wire.Text("+/+/+/+/+/#"), QoS1)]);
        Assert.Equal(new[] { (byte)0x01, (byte)ReasonCode.TopicFilterInvalid }, codes);
        Assert.Equal(1, broker.Broker.Subscriptions.Count);
    }

    [Fact]
    public async Task MQTT311_sec_4_7_a_filter_deeper_than_the_topic_level_limit_gets_0x80()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumTopicLevels = 5);
        await using RawClient client = await broker.ConnectAsync("c", V311);
        Assert.Equal(new byte[] { 0x80 }, await client.SubscribeAsync("a/b/c/d/e/f", QoS1));
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_sec_4_7_a_will_deeper_than_the_topic_level_limit_is_refused_with_0x90()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumTopicLevels = 5);
        await using RawClient client = await broker.OpenAsync();
        await client.SendConnectAsync("deep-will", will: Wire.Will("1/2/3/4/5/6", "never"));
        await client.ExpectConnAckAsync(ReasonCode.TopicNameInvalid);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT5_sec_4_7_topics_as_deep_as_a_packet_allows_are_refused_without_harm()
    {
        // As many levels as a topic can have: without the limit, each level of the filter was a trie node (about 19 MB for
        // this one filter) and every publish walked them one call per level.
        await using var broker = await TestBroker.StartAsync();
        string deep = string.Concat(Enumerable.Repeat("+/", 32_000)) + "#";
        await using RawClient client = await broker.ConnectAsync("deep");
        Assert.Equal(new[] { (byte)ReasonCode.TopicFilterInvalid }, await client.SubscribeAsync(deep, QoS1));
        Assert.Equal(ReasonCode.TopicNameInvalid, await client.PublishAsync(new string('/', 65_000), "x", QoS1));
        Assert.Equal(1, broker.Broker.Subscriptions.NodeCount);
    }

    [Fact]
    public async Task MQTT5_3_8_4_3_a_filter_repeated_in_one_subscribe_is_handled_once_with_its_last_options()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumSubscriptionsPerClient = 3);
        await using RawClient client = await broker.ConnectAsync("c");
        await client.PublishAsync("a/x", "retained", QoS1, retain: true);
        // Five copies, more than a session may hold: the last replaces the others, and retained messages go out once.
        Subscription first = new(Wire.Text("a/#"), QoS0);
        Subscription again = new(Wire.Text("a/#"), QoS1);
        Assert.Equal(new byte[] { 0, 1, 1, 1, 1 }, await client.SubscribeAsync([first, again, again, again, again]));
        Assert.Equal(1, broker.Broker.Subscriptions.Count);
        PublishPacket publish = await client.ExpectPublishAsync();
        Assert.Equal(QoS1, publish.QoS);
        await client.SendAckAsync(PacketType.PubAck, publish.PacketId);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_sec_3_3_2_3_3_expired_retained_messages_are_forgotten_by_the_sweep()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("status/short", "1 s", QoS1, retain: true, properties: new MqttProperties { MessageExpiryInterval = 1 });
        await publisher.PublishAsync("status/long", "1 h", QoS1, retain: true, properties: new MqttProperties { MessageExpiryInterval = 3600 });
        await publisher.PublishAsync("status/forever", "no expiry", QoS1, retain: true);

        Assert.Equal(0, broker.Broker.Retained.RemoveExpired(Environment.TickCount64));
        Assert.Equal(1, broker.Broker.Retained.RemoveExpired(Environment.TickCount64 + 2_000));
        Assert.Equal(2, broker.Broker.Retained.Count);
    }

    [Theory]
    [InlineData(3600u, 60u)]
    [InlineData(uint.MaxValue, 60u)]
    [InlineData(30u, null)]
    public async Task MQTT5_sec_3_2_2_3_2_a_session_expiry_over_the_maximum_is_capped_and_the_cap_sent_in_connack(uint asked, uint? told)
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumSessionExpiry = 60);
        await using RawClient client = await broker.OpenAsync();
        ConnAckPacket connAck = await client.ConnectAsync("capped", properties: Persistent(asked));
        Assert.Equal(told, connAck.Properties.SessionExpiryInterval);
    }

    [Fact]
    public async Task MQTT5_sec_3_2_2_3_2_a_session_expiry_set_at_disconnect_is_capped_too()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumSessionExpiry = 1);
        await using (RawClient client = await broker.ConnectAsync("capped", properties: Persistent(1)))
        {
            await client.SendAsync(new DisconnectPacket { Properties = new MqttProperties { SessionExpiryInterval = 3600 } });
            await client.ExpectClosedAsync();
        }
        await Eventually.TrueAsync(() => broker.Broker.SessionCount == 0, "the session to end after the 1 s cap", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task MQTT311_sec_3_1_2_4_a_clean_session_0_session_ends_after_the_maximum_session_expiry()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumSessionExpiry = 1);
        await using (RawClient client = await broker.ConnectAsync("persistent", V311, cleanStart: false))
        {
            await client.SubscribeAsync("t", QoS1);
            client.Drop();
        }
        await Eventually.TrueAsync(() => broker.Broker.SessionCount == 0, "the session to end after the 1 s cap", TimeSpan.FromSeconds(10));
        await using RawClient back = await broker.OpenAsync(V311);
        Assert.False((await back.ConnectAsync("persistent", cleanStart: false)).SessionPresent);
    }

    /// <summary>A persistent session "sub" with a QoS 1 subscription to "t", its connection gone.</summary>
    private static async Task SubscribeAndGoOfflineAsync(TestBroker broker)
    {
        await using (RawClient sub = await broker.ConnectAsync("sub", properties: Persistent()))
        {
            await sub.SubscribeAsync("t", QoS1);
            sub.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(0);
    }

    private static async Task<RawClient> ComeBackAsync(TestBroker broker)
    {
        RawClient back = await broker.OpenAsync();
        await back.ConnectAsync("sub", cleanStart: false, properties: Persistent());
        return back;
    }
}
