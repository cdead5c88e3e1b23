namespace Mqtt.Broker.Tests;

/// <summary>MQTT 5.0 sections 3.8-3.12 and 4.7: SUBSCRIBE, UNSUBSCRIBE, PINGREQ and topic matching.</summary>
public sealed class Mqtt5SubscribeTests
{
    [Fact]
    public async Task MQTT5_3_8_4_1_subscribe_is_answered_with_suback_carrying_its_id()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SendAsync(new SubscribePacket { PacketId = 31337, Subscriptions = SubscriptionList.Create(new Subscription(Wire.Text("t"), QoS1)) });
        // [MQTT-3.8.4-2] [MQTT-2.2.1-6] same Packet Identifier.
        SubAckPacket ack = (await client.ExpectAsync(PacketType.SubAck)).SubAck;
        Assert.Equal(31337, ack.PacketId);
        Assert.Equal(new byte[] { 1 }, ack.ReasonCodes.ToArray());
    }

    [Fact]
    public async Task MQTT5_3_8_4_5_multi_filter_subscribe_gets_one_suback_with_3_9_3_1_codes_in_order()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = new PermissiveAuthorizer());
        await using RawClient client = await broker.ConnectAsync("c");
        byte[] codes = await client.SubscribeAsync(
        [
            new Subscription(Wire.Text("a"), QoS2),
            new Subscription(Wire.Text("b/+"), QoS0),
            new Subscription(Wire.Text("deny/x"), QoS1),
            new Subscription(Wire.Text("c/#"), QoS1),
        ]);
        // [MQTT-3.8.4-6] one code per filter; [MQTT-3.8.4-7] granted QoS or a failure; [MQTT-3.9.3-2] defined codes.
        Assert.Equal(new byte[] { 2, 0, 0x87, 1 }, codes);
        foreach (byte code in codes)
        {
            Assert.True(ReasonCodes.IsValidFor(PacketType.SubAck, (ReasonCode)code));
        }
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("a", "1");
        await publisher.PublishAsync("b/x", "2");
        await publisher.PublishAsync("c/d/e", "3");
        Assert.Equal("1", (await client.ExpectPublishPacketAsync()).PayloadText);
        Assert.Equal("2", (await client.ExpectPublishPacketAsync()).PayloadText);
        Assert.Equal("3", (await client.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_3_8_4_3_identical_filter_replaces_the_subscription()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        Assert.Equal(new byte[] { 0 }, await client.SubscribeAsync("t", QoS0, subscriptionIdentifier: 1));
        Assert.Equal(new byte[] { 2 }, await client.SubscribeAsync("t", QoS2, subscriptionIdentifier: 2));
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("t", "once", QoS1);
        PublishPacket p = await client.ExpectPublishAsync();
        Assert.Equal(QoS1, p.QoS);
        Assert.Equal(new[] { 2 }, Wire.Ids(p.Properties.SubscriptionIdentifiers));
        await client.SendAckAsync(PacketType.PubAck, p.PacketId);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_8_4_4_replacing_with_retain_handling_0_resends_retained_messages()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("r", "retained", QoS1, retain: true);
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("r", QoS0);
        Assert.True((await client.ExpectPublishAsync()).Retain);
        await client.SubscribeAsync("r", QoS0);
        Assert.True((await client.ExpectPublishAsync()).Retain);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_8_4_4_replacing_a_subscription_loses_no_messages()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("flow", QoS0);
        await using RawClient publisher = await broker.ConnectAsync("p");
        const int Messages = 3000;
        Task publishing = Task.Run(async () =>
        {
            for (int i = 0; i < Messages; i++)
            {
                await publisher.PublishAsync("flow", $"{i}", QoS1);
            }
        });
        // Re-subscribe to the same filter over and over while the messages flow.
        int received = 0;
        int resubscribes = 0;
        ushort pending = 0;
        while (received < Messages)
        {
            if (pending == 0 && !publishing.IsCompleted)
            {
                pending = sub.NextPacketId();
                await sub.SendAsync(new SubscribePacket { PacketId = pending, Subscriptions = SubscriptionList.Create(new Subscription(Wire.Text("flow"), QoS0)) });
                resubscribes++;
            }
            ReceivedPacket? packet = await sub.ReadAsync();
            Assert.NotNull(packet);
            if (packet.Type == PacketType.SubAck)
            {
                pending = 0;
                continue;
            }
            Assert.Equal(PacketType.Publish, packet.Type);
            Assert.Equal($"{received}", packet.PayloadText);
            received++;
        }
        await publishing;
        Assert.True(resubscribes > 1);
    }

    [Fact]
    public async Task MQTT5_3_8_3_3_no_local_is_not_sent_back_to_the_publisher()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("me");
        await client.SubscribeAsync("chat", QoS0, noLocal: true);
        await using RawClient other = await broker.ConnectAsync("other");
        await other.SubscribeAsync("chat", QoS0, noLocal: true);
        await client.PublishAsync("chat", "from-me", QoS1);
        Assert.Equal("from-me", (await other.ExpectPublishPacketAsync()).PayloadText);
        await client.ExpectNothingPendingAsync();
        await other.PublishAsync("chat", "from-other", QoS1);
        Assert.Equal("from-other", (await client.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_3_8_3_3_without_no_local_the_publisher_gets_its_own_message()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("me");
        await client.SubscribeAsync("echo", QoS0);
        await client.PublishAsync("echo", "mine");
        Assert.Equal("mine", (await client.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_3_8_3_4_no_local_on_a_shared_subscription_is_a_protocol_error()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SendAsync(new SubscribePacket
        {
            PacketId = 1,
            Subscriptions = SubscriptionList.Create(new Subscription(Wire.Text("$share/g/t"), QoS0, NoLocal: true)),
        });
        await client.ExpectDisconnectAsync(ReasonCode.ProtocolError);
    }

    [Fact]
    public async Task MQTT5_3_8_3_5_reserved_subscription_option_bits_are_malformed()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        byte[] bytes = Wire.Encode(new SubscribePacket { PacketId = 1, Subscriptions = SubscriptionList.Create(new Subscription(Wire.Text("t"), QoS0)) }, V5);
        bytes[^1] |= 0xC0;
        await client.SendAsync(bytes);
        await client.ExpectDisconnectAsync(ReasonCode.MalformedPacket);
    }

    [Fact]
    public async Task MQTT5_3_8_3_2_subscribe_without_filters_is_a_protocol_error()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        // SUBSCRIBE, flags 0010, id 1, no properties, no payload.
        await client.SendAsync(new byte[] { 0x82, 0x03, 0x00, 0x01, 0x00 });
        await client.ExpectDisconnectAsync(ReasonCode.ProtocolError);
    }

    [Fact]
    public async Task MQTT5_3_10_4_1_unsubscribe_compares_filters_literally()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("a/+", QoS0);
        // "a/b" matches "a/+" as a topic but is not the same filter: nothing removed.
        Assert.Equal(new byte[] { (byte)ReasonCode.NoSubscriptionExisted }, await client.UnsubscribeAsync("a/b"));
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("a/b", "still");
        Assert.Equal("still", (await client.ExpectPublishPacketAsync()).PayloadText);
        Assert.Equal(new byte[] { 0 }, await client.UnsubscribeAsync("a/+"));
    }

    [Fact]
    public async Task MQTT5_3_10_4_2_after_unsubscribe_no_new_messages_are_sent()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("t", QoS1);
        await client.UnsubscribeAsync("t");
        await using RawClient publisher = await broker.ConnectAsync("p");
        Assert.Equal(ReasonCode.NoMatchingSubscribers, await publisher.PublishAsync("t", "late", QoS1));
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_10_4_2_a_message_that_matched_just_before_the_unsubscribe_is_not_sent_after_the_unsuback()
    {
        var authorizer = new CallbackOnFirstReceiveCheck("c");
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = authorizer);
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("t", QoS1);
        byte[]? unsubscribed = null;
        // The message has matched the subscription and is about to be handed to the session: the UNSUBACK comes first.
        authorizer.Callback = () => unsubscribed = client.UnsubscribeAsync("t").WaitAsync(RawClient.Timeout).GetAwaiter().GetResult();
        await using RawClient publisher = await broker.ConnectAsync("p");
        Assert.Equal(ReasonCode.NoMatchingSubscribers, await publisher.PublishAsync("t", "late", QoS1));
        Assert.Equal(new byte[] { 0 }, unsubscribed);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_10_4_2_a_message_that_matched_a_subscription_since_replaced_and_unsubscribed_is_not_sent_after_the_unsuback()
    {
        var authorizer = new CallbackOnFirstReceiveCheck("c");
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = authorizer);
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("t", QoS1);
        byte[]? unsubscribed = null;
        // The message matched the first subscription to "t"; a second SUBSCRIBE replaces it, then the client unsubscribes.
        authorizer.Callback = () => unsubscribed = ReplaceThenUnsubscribeAsync(client).WaitAsync(RawClient.Timeout).GetAwaiter().GetResult();
        await using RawClient publisher = await broker.ConnectAsync("p");
        Assert.Equal(ReasonCode.NoMatchingSubscribers, await publisher.PublishAsync("t", "late", QoS1));
        Assert.Equal(new byte[] { 0 }, unsubscribed);
        await client.ExpectNothingPendingAsync();
    }

    private static async Task<byte[]> ReplaceThenUnsubscribeAsync(RawClient client)
    {
        await client.SubscribeAsync("t", QoS1, retainHandling: RetainHandling.DoNotSend);
        return await client.UnsubscribeAsync("t");
    }

    [Fact]
    public async Task MQTT5_3_10_4_3_deliveries_in_flight_are_completed_after_unsubscribe()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("t", QoS2);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("t", "in-flight", QoS2);
        PublishPacket p = await client.ExpectPublishAsync();
        await client.UnsubscribeAsync("t");
        await client.SendAckAsync(PacketType.PubRec, p.PacketId);
        PubRelPacket rel = (await client.ExpectAsync(PacketType.PubRel)).PubRel;
        Assert.Equal(ReasonCode.Success, rel.ReasonCode);
        await client.SendAckAsync(PacketType.PubComp, p.PacketId);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_10_4_4_unsubscribe_is_answered_with_unsuback_3_10_4_5_even_when_nothing_was_removed()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SendAsync(new UnsubscribePacket { PacketId = 4711, TopicFilters = TopicFilterList.Create("never/subscribed") });
        UnsubAckPacket ack = (await client.ExpectAsync(PacketType.UnsubAck)).UnsubAck;
        Assert.Equal(4711, ack.PacketId);
        Assert.Equal(new byte[] { (byte)ReasonCode.NoSubscriptionExisted }, ack.ReasonCodes.ToArray());
    }

    [Fact]
    public async Task MQTT5_3_10_4_6_multi_filter_unsubscribe_gets_one_unsuback_with_3_11_3_1_codes_in_order()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("a", QoS0);
        await client.SubscribeAsync("c/#", QoS0);
        byte[] codes = await client.UnsubscribeAsync("a", "b", "c/#");
        Assert.Equal(new byte[] { 0x00, 0x11, 0x00 }, codes);
        // [MQTT-3.11.3-2] defined Unsubscribe Reason Codes only.
        foreach (byte code in codes)
        {
            Assert.True(ReasonCodes.IsValidFor(PacketType.UnsubAck, (ReasonCode)code));
        }
    }

    [Fact]
    public async Task MQTT5_3_12_4_1_pingreq_is_answered_with_pingresp()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SendPingAsync();
        ReceivedPacket resp = await client.ExpectAsync(PacketType.PingResp);
        Assert.Empty(resp.Body);
    }

    [Fact]
    public async Task MQTT5_4_7_2_1_wildcards_at_the_first_level_do_not_match_dollar_topics()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = new PermissiveAuthorizer());
        await using RawClient all = await broker.ConnectAsync("all");
        await all.SubscribeAsync("#", QoS0);
        await all.SubscribeAsync("+/info", QoS0);
        await using RawClient dollar = await broker.ConnectAsync("dollar");
        await dollar.SubscribeAsync("$SYS/#", QoS0);
        await dollar.SubscribeAsync("$internal/+", QoS0);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("$SYS/info", "sys");
        await publisher.PublishAsync("$internal/info", "internal");
        await publisher.PublishAsync("plain/info", "plain");
        await publisher.SyncAsync();
        Assert.Equal("plain/info", (await all.ExpectPublishPacketAsync()).Topic);
        await all.ExpectNothingPendingAsync();
        Assert.Equal("$SYS/info", (await dollar.ExpectPublishPacketAsync()).Topic);
        Assert.Equal("$internal/info", (await dollar.ExpectPublishPacketAsync()).Topic);
    }

    [Fact]
    public async Task MQTT5_4_7_2_1_wildcards_do_not_match_retained_sys_topics()
    {
        await using var broker = await TestBroker.StartAsync(o => o.SysInterval = TimeSpan.FromHours(1));
        await using RawClient all = await broker.ConnectAsync("all");
        await all.SubscribeAsync("#", QoS0);
        await all.SubscribeAsync("+/broker/#", QoS0);
        await all.ExpectNothingPendingAsync();
        await all.SubscribeAsync("$SYS/broker/version", QoS0);
        PublishPacket version = await all.ExpectPublishAsync();
        Assert.Equal("$SYS/broker/version", version.TopicString);
        Assert.True(version.Retain);
    }

    [Fact]
    public async Task MQTT5_4_7_3_4_topic_matching_does_no_normalisation()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("caf\u00e9", QoS0);   // precomposed é
        await client.SubscribeAsync("Case", QoS0);
        await client.SubscribeAsync("x/ y", QoS0);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("cafe\u0301");         // e + combining acute
        await publisher.PublishAsync("case");
        await publisher.PublishAsync("x/y");
        await publisher.PublishAsync("caf\u00e9", "exact");
        await publisher.SyncAsync();
        Assert.Equal("exact", (await client.ExpectPublishPacketAsync()).PayloadText);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_sec_4_7_1_wildcard_filters_match_per_level()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync("a/#", QoS0, subscriptionIdentifier: 1);
        await client.SubscribeAsync("+/+", QoS0, subscriptionIdentifier: 2);
        await client.SubscribeAsync("/+", QoS0, subscriptionIdentifier: 3);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("a");      // a/# matches the parent level
        await publisher.PublishAsync("a/b/c");  // a/# only
        await publisher.PublishAsync("/x");     // +/+ and /+
        await publisher.PublishAsync("b/c");    // +/+
        await publisher.SyncAsync();
        Assert.Equal(new[] { 1 }, Wire.Ids((await client.ExpectPublishAsync()).Properties.SubscriptionIdentifiers));
        Assert.Equal(new[] { 1 }, Wire.Ids((await client.ExpectPublishAsync()).Properties.SubscriptionIdentifiers));
        Assert.Equal(new[] { 2, 3 }, Wire.Ids((await client.ExpectPublishAsync()).Properties.SubscriptionIdentifiers));
        Assert.Equal(new[] { 2 }, Wire.Ids((await client.ExpectPublishAsync()).Properties.SubscriptionIdentifiers));
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_3_4_4_overlapping_filters_of_one_SUBSCRIBE_give_their_shared_identifier_once()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        await client.SubscribeAsync([new Subscription(Wire.Text("a/#"), QoS0), new Subscription(Wire.Text("a/+"), QoS0)], subscriptionIdentifier: 7);
        await client.SubscribeAsync("+/b", QoS0, subscriptionIdentifier: 8);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("a/b");
        Assert.Equal(new[] { 7, 8 }, Wire.Ids((await client.ExpectPublishAsync()).Properties.SubscriptionIdentifiers).Order());
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_sec_3_8_3_maximum_subscriptions_per_client_gets_quota_exceeded()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumSubscriptionsPerClient = 2);
        await using RawClient client = await broker.ConnectAsync("c");
        byte[] codes = await client.SubscribeAsync(
        [
            new Subscription(Wire.Text("a"), QoS0),
            new Subscription(Wire.Text("b"), QoS0),
            new Subscription(Wire.Text("c"), QoS0),
            new Subscription(Wire.Text("a"), QoS1),
        ]);
        Assert.Equal(new byte[] { 0, 0, (byte)ReasonCode.QuotaExceeded, 1 }, codes);
    }

    /// <summary>
    /// The characters of a client's filters are bounded together, so long filters cannot make one session hold hundreds
    /// of megabytes; an unsubscribed filter gives its characters back.
    /// </summary>
    [Fact]
    public async Task MQTT5_sec_3_8_3_long_filters_beyond_the_clients_character_budget_get_quota_exceeded()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c");
        string Long(char c) => "long/" + new string(c, 60_000); // 60,005 characters, two levels
        Subscription[] five = [.. "abcde".Select(c => new Subscription(Wire.Text(Long(c)), QoS0))];

        byte[] codes = await client.SubscribeAsync(five);

        // 256 Ki characters by default: four fit, the fifth does not.
        Assert.Equal(new byte[] { 0, 0, 0, 0, (byte)ReasonCode.QuotaExceeded }, codes);
        Assert.Equal(new byte[] { 0 }, await client.UnsubscribeAsync(Long('a')));
        Assert.Equal(new byte[] { 0 }, await client.SubscribeAsync([five[4]]));
    }
}
