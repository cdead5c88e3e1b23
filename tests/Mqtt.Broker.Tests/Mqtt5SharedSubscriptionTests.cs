namespace Mqtt.Broker.Tests;

/// <summary>MQTT 5.0 4.8.2: Shared Subscriptions, delivered round robin among a group's members.</summary>
public sealed class Mqtt5SharedSubscriptionTests
{
    [Fact]
    public async Task MQTT5_sec_4_8_2_each_message_goes_to_one_member_in_turn()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient a = await broker.ConnectAsync("a");
        await using RawClient b = await broker.ConnectAsync("b");
        await using RawClient plain = await broker.ConnectAsync("plain");
        await a.SubscribeAsync("$share/g/jobs/+", QoS1);
        await b.SubscribeAsync("$share/g/jobs/+", QoS1);
        await plain.SubscribeAsync("jobs/+", QoS0);
        await using RawClient publisher = await broker.ConnectAsync("p");
        for (int i = 0; i < 10; i++)
        {
            await publisher.PublishAsync($"jobs/{i}", $"{i}", QoS1);
        }
        int countA = await DrainAsync(a);
        int countB = await DrainAsync(b);
        Assert.Equal(10, countA + countB);
        Assert.Equal(5, countA);
        Assert.Equal(5, countB);
        // A plain subscription to the same filter gets every message.
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal($"jobs/{i}", (await plain.ExpectPublishPacketAsync()).Topic);
        }
    }

    /// <summary>
    /// Any client that may subscribe to a group's filter may join it; one the ACL does not let read a topic is passed
    /// over for that topic's messages. Before, the round robin picked it anyway and the message went to nobody.
    /// </summary>
    [Fact]
    public async Task MQTT5_sec_4_8_2_a_member_that_may_not_read_the_topic_takes_no_message_from_the_others()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = new NoReading("eve"));
        await using RawClient bob = await broker.ConnectAsync("bob");
        await using RawClient eve = await broker.ConnectAsync("eve");
        await bob.SubscribeAsync("$share/inbox/bob/+", QoS1);
        await eve.SubscribeAsync("$share/inbox/bob/+", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("p");
        for (int i = 0; i < 10; i++)
        {
            await publisher.PublishAsync($"bob/{i}", $"{i}", QoS1);
        }

        Assert.Equal(10, await DrainAsync(bob));
        Assert.Equal(0, await DrainAsync(eve));
    }

    /// <summary>Everything is allowed, but <paramref name="clientId"/> may read nothing.</summary>
    private sealed class NoReading(string clientId) : IAuthorizer
    {
        public ValueTask<bool> CanPublishAsync(ClientInfo client, string topic) => new(true);

        public ValueTask<bool> CanSubscribeAsync(ClientInfo client, string filter) => new(true);

        public bool CanReceive(ClientInfo client, string topic) => client.ClientId != clientId;
    }

    [Fact]
    public async Task MQTT5_sec_4_8_2_two_groups_each_get_every_message()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient a = await broker.ConnectAsync("a");
        await using RawClient b = await broker.ConnectAsync("b");
        await a.SubscribeAsync("$share/one/t", QoS0);
        await b.SubscribeAsync("$share/two/t", QoS0);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("t", "x", QoS1);
        await a.ExpectPublishAsync();
        await b.ExpectPublishAsync();
    }

    [Fact]
    public async Task MQTT5_sec_4_8_2_client_with_a_shared_and_a_non_shared_subscription_gets_a_copy_for_each()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient a = await broker.ConnectAsync("a");
        await a.SubscribeAsync("t", QoS0, subscriptionIdentifier: 1);
        await a.SubscribeAsync("$share/g/t", QoS1, subscriptionIdentifier: 2);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("t", "x", QoS1);
        // One copy by virtue of the non-shared subscription, a second as the group's chosen member; the
        // overlapping-subscription merge (3.3.4) applies among non-shared subscriptions only.
        PublishPacket first = await a.ExpectPublishAsync();
        PublishPacket second = await a.ExpectPublishAsync();
        PublishPacket plain = first.QoS == QoS0 ? first : second;
        PublishPacket shared = first.QoS == QoS0 ? second : first;
        Assert.Equal(QoS0, plain.QoS);
        Assert.Equal(new[] { 1 }, Wire.Ids(plain.Properties.SubscriptionIdentifiers));
        Assert.Equal(QoS1, shared.QoS);
        Assert.Equal(new[] { 2 }, Wire.Ids(shared.Properties.SubscriptionIdentifiers));
        await a.SendAckAsync(PacketType.PubAck, shared.PacketId);
        await a.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_sec_4_8_2_client_in_two_groups_gets_a_copy_from_each()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient a = await broker.ConnectAsync("a");
        await a.SubscribeAsync("$share/one/t", QoS0);
        await a.SubscribeAsync("$share/two/t", QoS0);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("t", "x", QoS1);
        await a.ExpectPublishAsync();
        await a.ExpectPublishAsync();
        await a.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_4_8_2_3_shared_delivery_uses_the_members_granted_qos()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient a = await broker.ConnectAsync("a");
        await using RawClient b = await broker.ConnectAsync("b");
        await a.SubscribeAsync("$share/g/t", QoS0);
        await b.SubscribeAsync("$share/g/t", QoS2);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("t", "1", QoS2);
        await publisher.PublishAsync("t", "2", QoS2);
        Assert.Equal(QoS0, (await a.ExpectPublishAsync()).QoS);
        Assert.Equal(QoS2, (await b.ExpectPublishAsync()).QoS);
    }

    [Fact]
    public async Task MQTT5_sec_4_8_2_shared_subscription_gets_no_retained_messages()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("r", "retained", QoS1, retain: true);
        await using RawClient a = await broker.ConnectAsync("a");
        await a.SubscribeAsync("$share/g/r", QoS1);
        await a.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_4_8_2_6_refused_shared_message_is_not_offered_to_other_members()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient a = await broker.ConnectAsync("a");
        await using RawClient b = await broker.ConnectAsync("b");
        await a.SubscribeAsync("$share/g/t", QoS1);
        await b.SubscribeAsync("$share/g/t", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("t", "only-one", QoS1);
        RawClient first = await FirstWithMessageAsync(a, b);
        RawClient other = first == a ? b : a;
        PublishPacket p = await first.ExpectPublishAsync();
        await first.SendAckAsync(PacketType.PubAck, p.PacketId, ReasonCode.UnspecifiedError);
        await first.ExpectNothingPendingAsync();
        await other.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_4_8_2_4_shared_message_in_flight_is_completed_when_the_member_returns()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient a = await broker.ConnectAsync("a", properties: Persistent());
        await a.SubscribeAsync("$share/g/t", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("t", "pending", QoS1);
        PublishPacket p = await a.ExpectPublishAsync();
        a.Drop();
        await broker.WaitForOpenConnectionsAsync(1);
        await using RawClient back = await broker.OpenAsync();
        await back.ConnectAsync("a", cleanStart: false, properties: Persistent());
        PublishPacket resent = await back.ExpectPublishAsync();
        Assert.Equal(p.PacketId, resent.PacketId);
        Assert.True(resent.Duplicate);
    }

    [Fact]
    public async Task MQTT5_4_8_2_5_message_of_an_ended_session_goes_to_no_other_member()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient a = await broker.ConnectAsync("a");
        await using RawClient b = await broker.ConnectAsync("b");
        await a.SubscribeAsync("$share/g/t", QoS1);
        await b.SubscribeAsync("$share/g/t", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("t", "orphan", QoS1);
        RawClient first = await FirstWithMessageAsync(a, b);
        RawClient other = first == a ? b : a;
        await first.ExpectPublishAsync();
        // Session Expiry 0: the session ends with the connection, taking the unacknowledged message with it.
        first.Drop();
        await broker.WaitForOpenConnectionsAsync(2);
        await other.ExpectNothingPendingAsync();
    }

    private static async Task<int> DrainAsync(RawClient client)
    {
        int count = 0;
        await client.SendPingAsync();
        for (int i = 0; i < 100; i++)
        {
            ReceivedPacket? packet = await client.ReadAsync();
            Assert.NotNull(packet);
            if (packet.Type == PacketType.PingResp)
            {
                return count;
            }
            Assert.Equal(PacketType.Publish, packet.Type);
            await client.SendAckAsync(PacketType.PubAck, packet.Publish.PacketId);
            count++;
        }
        return count;
    }

    private static async Task<RawClient> FirstWithMessageAsync(RawClient a, RawClient b)
    {
        await a.SendPingAsync();
        ReceivedPacket? packet = await a.ReadAsync();
        Assert.NotNull(packet);
        if (packet.Type == PacketType.PingResp)
        {
            return b;
        }
        // Put it back in front for the caller: read the PINGRESP and re-deliver via a fresh read order.
        await a.ReadUntilAsync(PacketType.PingResp);
        a.Unread(packet);
        return a;
    }
}
