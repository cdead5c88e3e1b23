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

    /// <summary>
    /// 4.8.2: a QoS 1 message whose member's session ends before the member acknowledged it SHOULD go to another member.
    /// Before, it went with the session, and the publisher had been told 0x00 Success.
    /// </summary>
    [Fact]
    public async Task MQTT5_sec_4_8_2_unacknowledged_qos1_message_of_an_ended_session_goes_to_another_member()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient a = await broker.ConnectAsync("a");
        await using RawClient b = await broker.ConnectAsync("b");
        await a.SubscribeAsync("$share/grp/T/q1", QoS1, subscriptionIdentifier: 1);
        await b.SubscribeAsync("$share/grp/T/q1", QoS1, subscriptionIdentifier: 2);
        await using RawClient publisher = await broker.ConnectAsync("p");
        Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("T/q1", "job", QoS1));
        RawClient first = await FirstWithMessageAsync(a, b);
        RawClient other = first == a ? b : a;
        await first.ExpectPublishAsync();
        // Session Expiry 0: the session ends with the connection, before any PUBACK.
        first.Drop();

        ReceivedPacket redelivered = await other.ExpectPublishPacketAsync();
        Assert.Equal("job", redelivered.PayloadText);
        Assert.Equal(QoS1, redelivered.Publish.QoS);
        Assert.False(redelivered.Publish.Duplicate);
        Assert.Equal(new[] { other == a ? 1 : 2 }, Wire.Ids(redelivered.Publish.Properties.SubscriptionIdentifiers));
        await other.SendAckAsync(PacketType.PubAck, redelivered.Publish.PacketId);
        await other.ExpectNothingPendingAsync();
    }

    /// <summary>
    /// A member's queue goes back to the group too, QoS 2 messages included: never sent, they cannot have reached the member.
    /// The QoS 2 message it has in flight does not.
    /// </summary>
    [Fact]
    public async Task MQTT5_sec_4_8_2_queued_messages_of_an_ended_session_go_to_another_member()
    {
        await using var broker = await TestBroker.StartAsync();
        // Receive Maximum 1: the first message is in flight, the other two wait in the session's queue.
        await using RawClient a = await broker.ConnectAsync("a", properties: new MqttProperties { ReceiveMaximum = 1 });
        await a.SubscribeAsync("$share/grp/jobs/+", QoS2);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("jobs/1", "in flight", QoS2);
        await publisher.PublishAsync("jobs/2", "queued 2", QoS2);
        await publisher.PublishAsync("jobs/3", "queued 1", QoS1);
        Assert.Equal("in flight", (await a.ExpectPublishPacketAsync()).PayloadText);
        await a.ExpectNothingPendingAsync();
        await using RawClient b = await broker.ConnectAsync("b");
        await b.SubscribeAsync("$share/grp/jobs/+", QoS2, subscriptionIdentifier: 9);
        a.Drop();

        ReceivedPacket second = await b.ExpectPublishPacketAsync();
        Assert.Equal("queued 2", second.PayloadText);
        Assert.Equal(QoS2, second.Publish.QoS);
        Assert.Equal(new[] { 9 }, Wire.Ids(second.Publish.Properties.SubscriptionIdentifiers));
        ReceivedPacket third = await b.ExpectPublishPacketAsync();
        Assert.Equal("queued 1", third.PayloadText);
        Assert.Equal(QoS1, third.Publish.QoS);
        // Not the QoS 2 message that was in flight [MQTT-4.8.2-5].
        await b.ExpectNothingPendingAsync();
    }

    /// <summary>
    /// A QoS 2 message in flight may have reached the member: if its session ends before it reconnects, no other member
    /// may be sent it (MQTT-4.8.2-5), unlike a QoS 1 one (4.8.2 SHOULD).
    /// </summary>
    [Fact]
    public async Task MQTT5_4_8_2_5_qos2_message_in_flight_to_an_ended_session_goes_to_no_other_member()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient a = await broker.ConnectAsync("a");
        await a.SubscribeAsync("$share/grp/T/q2", QoS2);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("T/q2", "once", QoS2);
        await a.ExpectPublishAsync();
        await using RawClient b = await broker.ConnectAsync("b");
        await b.SubscribeAsync("$share/grp/T/q2", QoS2);
        long droppedBefore = broker.Statistics.MessagesDropped;
        a.Drop();
        await broker.WaitForOpenConnectionsAsync(2);

        await b.ExpectNothingPendingAsync();
        Assert.Equal(droppedBefore, broker.Statistics.MessagesDropped);
    }

    /// <summary>After PUBREC the member has the message: only the PUBREL was left, and nothing goes to another member.</summary>
    [Fact]
    public async Task MQTT5_sec_4_8_2_qos2_message_a_member_received_stays_with_it_when_its_session_ends()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient a = await broker.ConnectAsync("a");
        await a.SubscribeAsync("$share/grp/T/q2", QoS2);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("T/q2", "once", QoS2);
        PublishPacket p = await a.ExpectPublishAsync();
        await a.SendAckAsync(PacketType.PubRec, p.PacketId);
        await a.ExpectAsync(PacketType.PubRel);
        await using RawClient b = await broker.ConnectAsync("b");
        await b.SubscribeAsync("$share/grp/T/q2", QoS2);
        a.Drop();
        await broker.WaitForOpenConnectionsAsync(2);

        await b.ExpectNothingPendingAsync();
    }

    /// <summary>
    /// A member whose session outlives its connection keeps its message, and gets it again on its return (MQTT-4.8.2-4);
    /// only when that session expires does the message go to another member.
    /// </summary>
    /// <summary>
    /// An embedder's authorizer that throws while an expired session's shared messages are handed on (on the
    /// housekeeping timer) is logged, and the broker serves on: an exception leaving the timer ended the process.
    /// </summary>
    [Fact]
    public async Task An_authorizer_throwing_during_a_hand_on_at_session_expiry_does_not_stop_the_broker()
    {
        var authorizer = new ThrowingReadCheckOnce("b");
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = authorizer);
        await using RawClient a = await broker.ConnectAsync("a", properties: Persistent(1));
        await a.SubscribeAsync("$share/grp/#", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("T/q1", "kept", QoS1);
        await a.ExpectPublishAsync();
        await using RawClient b = await broker.ConnectAsync("b");
        await b.SubscribeAsync("$share/grp/#", QoS1);
        authorizer.Armed = true;
        a.Drop();

        await Eventually.TrueAsync(() => authorizer.Thrown, "the session to expire and its message to be handed on");
        await using RawClient later = await broker.ConnectAsync("later");
        await later.SubscribeAsync("after", QoS1);
        await publisher.PublishAsync("after", "served", QoS1);
        Assert.Equal("served", (await later.ExpectPublishPacketAsync()).PayloadText);
    }

    /// <summary>Throws once from the read check of <paramref name="clientId"/>, once armed.</summary>
    private sealed class ThrowingReadCheckOnce(string clientId) : IAuthorizer
    {
        public volatile bool Armed;
        public volatile bool Thrown;

        public ValueTask<bool> CanPublishAsync(ClientInfo client, string topic) => new(true);

        public ValueTask<bool> CanSubscribeAsync(ClientInfo client, string filter) => new(true);

        public bool CanReceive(ClientInfo client, string topic)
        {
            if (Armed && !Thrown && client.ClientId == clientId)
            {
                Thrown = true;
                throw new InvalidOperationException("an embedder's authorizer failed");
            }
            return true;
        }
    }

    [Fact]
    public async Task MQTT5_sec_4_8_2_message_of_a_persistent_member_goes_to_another_member_when_its_session_expires()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient a = await broker.ConnectAsync("a", properties: Persistent());
        await a.SubscribeAsync("$share/grp/#", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("T/q1", "kept", QoS1);
        PublishPacket first = await a.ExpectPublishAsync();
        await using RawClient b = await broker.ConnectAsync("b");
        await b.SubscribeAsync("$share/grp/#", QoS1, subscriptionIdentifier: 5);
        a.Drop();
        await broker.WaitForOpenConnectionsAsync(2);
        await b.ExpectNothingPendingAsync();

        await using RawClient back = await broker.OpenAsync();
        // Back, and this time with a session that expires 2 s after the connection ends.
        await back.ConnectAsync("a", cleanStart: false, properties: Persistent(2));
        PublishPacket resent = await back.ExpectPublishAsync();
        // Completed with the member that has it [MQTT-4.8.2-4].
        Assert.Equal(first.PacketId, resent.PacketId);
        Assert.True(resent.Duplicate);
        back.Drop();

        // Housekeeping ends the session within a second of its expiry (nothing before it, as shown above).
        ReceivedPacket redelivered = await b.ExpectPublishPacketAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("kept", redelivered.PayloadText);
        Assert.False(redelivered.Publish.Duplicate);
        Assert.Equal(new[] { 5 }, Wire.Ids(redelivered.Publish.Properties.SubscriptionIdentifiers));
    }

    /// <summary>A takeover with Clean Start ends the old session: its message goes to another member, not to the new one.</summary>
    [Fact]
    public async Task MQTT5_sec_4_8_2_message_of_a_session_ended_by_clean_start_goes_to_another_member()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient a = await broker.ConnectAsync("a", properties: Persistent());
        await a.SubscribeAsync("$share/grp/T/+", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("T/q1", "taken over", QoS1);
        await a.ExpectPublishAsync();
        await using RawClient b = await broker.ConnectAsync("b");
        await b.SubscribeAsync("$share/grp/T/+", QoS1);

        await using RawClient again = await broker.ConnectAsync("a", cleanStart: true);
        Assert.Equal("taken over", (await b.ExpectPublishPacketAsync()).PayloadText);
        await again.ExpectNothingPendingAsync();
    }

    /// <summary>
    /// A publish picks a member, and the member's session ends before the message reaches it: the message follows the
    /// session's queue back to the group instead of going into a session nobody will read.
    /// </summary>
    [Fact]
    public async Task MQTT5_sec_4_8_2_message_routed_to_a_member_as_its_session_ends_goes_to_another_member()
    {
        var authorizer = new HoldFirstReading("a");
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = authorizer);
        await using RawClient a = await broker.ConnectAsync("a");
        await using RawClient b = await broker.ConnectAsync("b");
        await a.SubscribeAsync("$share/grp/race", QoS1);
        await b.SubscribeAsync("$share/grp/race", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("p");
        Task<ReasonCode> publishing = publisher.PublishAsync("race", "x", QoS1);
        // The group is picking a (first in turn); its session ends meanwhile, waiting for the match to finish.
        await authorizer.Holding;
        a.Drop();
        await Task.Delay(300);
        authorizer.Release();

        Assert.Equal(ReasonCode.Success, await publishing);
        Assert.Equal("x", (await b.ExpectPublishPacketAsync()).PayloadText);
    }

    /// <summary>Allows everything; the first check whether <paramref name="clientId"/> may read waits for <see cref="Release"/>.</summary>
    private sealed class HoldFirstReading(string clientId) : IAuthorizer
    {
        private readonly TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ManualResetEventSlim _released = new();
        private int _held;

        public Task Holding => _holding.Task.WaitAsync(RawClient.Timeout);

        public void Release() => _released.Set();

        public ValueTask<bool> CanPublishAsync(ClientInfo client, string topic) => new(true);

        public ValueTask<bool> CanSubscribeAsync(ClientInfo client, string filter) => new(true);

        public bool CanReceive(ClientInfo client, string topic)
        {
            if (client.ClientId == clientId && Interlocked.Exchange(ref _held, 1) == 0)
            {
                _holding.TrySetResult();
                _released.Wait(RawClient.Timeout);
            }
            return true;
        }
    }

    /// <summary>With no other member the message has nowhere to go: dropped, and counted so.</summary>
    [Fact]
    public async Task MQTT5_sec_4_8_2_message_of_the_last_members_ended_session_is_dropped()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient a = await broker.ConnectAsync("a");
        await a.SubscribeAsync("$share/grp/T/q1", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("p");
        await publisher.PublishAsync("T/q1", "orphan", QoS1);
        await a.ExpectPublishAsync();
        long droppedBefore = broker.Statistics.MessagesDropped;
        a.Drop();

        await Eventually.TrueAsync(() => broker.Statistics.MessagesDropped == droppedBefore + 1, "the message to be dropped");
        await using RawClient b = await broker.ConnectAsync("b");
        await b.SubscribeAsync("$share/grp/T/q1", QoS1);
        await b.ExpectNothingPendingAsync();
        await publisher.PublishAsync("T/q1", "next", QoS1);
        Assert.Equal("next", (await b.ExpectPublishPacketAsync()).PayloadText);
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
