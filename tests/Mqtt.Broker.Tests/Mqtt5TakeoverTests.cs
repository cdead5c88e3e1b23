namespace Mqtt.Broker.Tests;

/// <summary>
/// MQTT 5.0 3.1.4-3 takeover, and what the old connection may still do while it closes: it can have packets buffered
/// that it handles after the new connection got its CONNACK. A <see cref="HoldingAuthorizer"/> stops it in that state.
/// </summary>
public sealed class Mqtt5TakeoverTests
{
    [Fact]
    public async Task MQTT5_3_1_2_4_subscribes_the_old_connection_handles_after_a_clean_start_takeover_leave_nothing_behind()
    {
        var authorizer = new HoldingAuthorizer();
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = authorizer);
        await using RawClient old = await broker.ConnectAsync("same");
        await old.SendAsync(Subscribes("hold/first", "then/second"));
        await authorizer.Holding;
        await using RawClient newer = await broker.ConnectAsync("same");
        authorizer.Release();
        await broker.WaitForOpenConnectionsAsync(1);
        // The old session left the broker when the new one started: nothing can ever remove what it adds to the tree.
        Assert.Equal(0, broker.Broker.Subscriptions.Count);
    }

    [Fact]
    public async Task MQTT5_3_1_2_5_subscribes_the_old_connection_handles_after_a_resuming_takeover_do_not_change_the_resumed_session()
    {
        var authorizer = new HoldingAuthorizer();
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = authorizer);
        await using RawClient old = await broker.ConnectAsync("same", properties: Persistent());
        await old.SendAsync(Subscribes("hold/first", "then/second"));
        await authorizer.Holding;
        await using RawClient newer = await broker.OpenAsync();
        await newer.ConnectAsync("same", cleanStart: false, properties: Persistent());
        authorizer.Release();
        await broker.WaitForOpenConnectionsAsync(1);
        // The new connection asked for none of them (the client sends them again if it still wants them).
        Assert.Equal(0, broker.Broker.Subscriptions.Count);
    }

    [Fact]
    public async Task MQTT5_sec_revocation_subscribes_handled_after_a_users_revocation_leave_nothing_behind()
    {
        var authorizer = new HoldingAuthorizer();
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = authorizer);
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("c", userName: "alice");
        await client.SendAsync(Subscribes("hold/first", "then/second"));
        await authorizer.Holding;
        await broker.Broker.RevokeUserAsync("alice");
        authorizer.Release();
        await broker.WaitForOpenConnectionsAsync(0);
        Assert.Equal(0, broker.Broker.Subscriptions.Count);
    }

    [Fact]
    public async Task MQTT5_3_1_2_5_a_session_being_resumed_is_not_ended_by_the_connection_it_replaces()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient old = await broker.ConnectAsync("same");
        await old.SubscribeAsync("t", QoS1);
        await using RawClient other = await broker.ConnectAsync("other");
        MqttConnection newer = broker.Broker.ConnectionOf("other")!;
        // A CONNECT resuming "same" with Session Expiry 0, stopped where the broker has given it the session but it
        // has not sent its CONNACK yet; the old connection's close falls into that window.
        (Session? session, bool present, _) = broker.Broker.AttachSession(newer, "same", null, cleanStart: false, expiry: 0);
        Assert.True(present);
        await old.ExpectDisconnectAsync(ReasonCode.SessionTakenOver);
        await broker.WaitForOpenConnectionsAsync(1);
        Assert.Same(newer, broker.Broker.ConnectionOf("same"));
        Assert.True(session!.HasSubscriptions);
    }

    [Fact]
    public async Task MQTT5_3_1_3_9_a_connection_that_drops_while_being_taken_over_leaves_no_delayed_will_on_the_resumed_session()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using RawClient old = await broker.OpenAsync();
        await old.ConnectAsync("same", properties: Persistent(), will: Wire.Will("wills/same", "spurious", properties: new MqttProperties { WillDelayInterval = 1 }));
        await using RawClient newer = await broker.OpenAsync();
        // The old connection drops, and is fully closed, after the new CONNECT claimed the session and before the
        // broker closes the old connection for the takeover.
        broker.Broker.SessionClaimed = id =>
        {
            if (id == "same")
            {
                old.Drop();
                SpinWait.SpinUntil(() => broker.Broker.Statistics.ConnectionsOpen == 2, TimeSpan.FromSeconds(10));
            }
        };

        Assert.True((await newer.ConnectAsync("same", cleanStart: false, properties: Persistent())).SessionPresent);

        Assert.Equal(2, broker.Broker.Statistics.ConnectionsOpen);
        // [MQTT-3.1.3-9] the session was resumed within the Will Delay: its Will must never go out.
        await Task.Delay(2000);
        await watcher.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_14_2_2_a_late_disconnect_from_the_taken_over_connection_leaves_the_session_expiry_alone()
    {
        var authorizer = new HoldingAuthorizer();
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = authorizer);
        await using RawClient old = await broker.ConnectAsync("same", properties: Persistent());
        var bytes = new List<byte>();
        bytes.AddRange(Wire.Encode(new PublishPacket { Topic = Wire.Text("hold/x"), Payload = Wire.Text("x"), QoS = QoS0 }, V5));
        bytes.AddRange(Wire.Encode(new DisconnectPacket { Properties = new MqttProperties { SessionExpiryInterval = 0 } }, V5));
        await old.SendAsync(bytes.ToArray());
        await authorizer.Holding;
        await using (RawClient newer = await broker.OpenAsync())
        {
            Assert.True((await newer.ConnectAsync("same", cleanStart: false, properties: Persistent())).SessionPresent);
            authorizer.Release();
            await broker.WaitForOpenConnectionsAsync(1);
            newer.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        // The session is the new connection's: its Session Expiry of 300 s holds, not the old connection's 0.
        await using RawClient again = await broker.OpenAsync();
        Assert.True((await again.ConnectAsync("same", cleanStart: false, properties: Persistent())).SessionPresent);
    }

    [Fact]
    public async Task MQTT5_3_1_4_3_a_takeover_between_a_connects_claim_and_its_connack_leaves_the_session_with_the_newer_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient setup = await broker.ConnectAsync("same", properties: Persistent()))
        {
            await setup.SubscribeAsync("t", QoS1);
            await setup.SendAsync(new DisconnectPacket());
            await setup.ExpectClosedAsync();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient earlier = await broker.OpenAsync();
        await using RawClient later = await broker.OpenAsync();
        int claims = 0;
        using var laterConnected = new ManualResetEventSlim();
        broker.Broker.SessionClaimed = id =>
        {
            if (id == "same" && Interlocked.Increment(ref claims) == 1)
            {
                // The earlier CONNECT has claimed the session and not yet queued its CONNACK: the later one takes over now.
                laterConnected.Wait(TimeSpan.FromSeconds(10));
            }
        };
        Task<ConnAckPacket> earlierConnAck = earlier.ConnectAsync("same", cleanStart: false, properties: Persistent());
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref claims) == 1, TimeSpan.FromSeconds(10)));

        Assert.True((await later.ConnectAsync("same", cleanStart: false, properties: Persistent())).SessionPresent);
        laterConnected.Set();

        Assert.True((await earlierConnAck).SessionPresent);
        await earlier.ExpectDisconnectAsync(ReasonCode.SessionTakenOver);
        await broker.WaitForOpenConnectionsAsync(1);
        await using RawClient publisher = await broker.ConnectAsync("publisher");
        Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("t", "for the session", QoS1));
        // The session is the later connection's: its messages reach it, not a closed connection.
        Assert.Equal("for the session", MqttUtf8.GetString((await later.ExpectPublishAsync()).Payload));
    }

    [Fact]
    public async Task MQTT5_3_1_4_3_a_connection_whose_session_was_claimed_meanwhile_does_not_attach_it()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient old = await broker.ConnectAsync("same", properties: Persistent());
        await old.SubscribeAsync("t", QoS1);
        await using RawClient other = await broker.ConnectAsync("other");
        MqttConnection oldConnection = broker.Broker.ConnectionOf("same")!;
        MqttConnection newer = broker.Broker.ConnectionOf("other")!;
        (Session? session, _, _) = broker.Broker.AttachSession(newer, "same", null, cleanStart: false, expiry: 300);

        // The old connection finishing its own CONNECT late (its CONNACK raced this claim) must not take the session back.
        session!.Attach(oldConnection);

        Assert.Same(newer, broker.Broker.ConnectionOf("same"));
        await old.ExpectDisconnectAsync(ReasonCode.SessionTakenOver);
    }

    [Fact]
    public async Task MQTT5_4_3_3_10_a_qos2_message_resent_on_the_new_connection_while_the_old_one_routes_it_is_delivered_once()
    {
        var authorizer = new CallbackOnFirstReceiveCheck("sub");
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = authorizer);
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("t", QoS2);
        await using RawClient old = await broker.ConnectAsync("pub", properties: Persistent());
        await using RawClient newer = await broker.OpenAsync();
        PubRecPacket? resentAck = null;
        // The old connection is routing the message: the client takes over its session and sends it again.
        authorizer.Callback = () => resentAck = ResendOnNewConnectionAsync(newer).WaitAsync(RawClient.Timeout).GetAwaiter().GetResult();
        await old.SendAsync(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text("once"), QoS = QoS2, PacketId = 7 });

        PublishPacket delivered = await sub.ExpectPublishAsync();
        Assert.Equal("once", MqttUtf8.GetString(delivered.Payload));
        Assert.Equal(ReasonCode.Success, resentAck!.Value.ReasonCode);
        await sub.SendAckAsync(PacketType.PubRec, delivered.PacketId);
        await sub.ReadUntilAsync(PacketType.PubRel);
        await sub.SendAckAsync(PacketType.PubComp, delivered.PacketId);
        await sub.ExpectNothingPendingAsync();
        // Released on the new connection, the id is free: the next message with it is a new one [MQTT-4.3.3-12].
        await newer.SendAckAsync(PacketType.PubRel, 7);
        await newer.ExpectAsync(PacketType.PubComp);
        await newer.SendAsync(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text("next"), QoS = QoS2, PacketId = 7 });
        Assert.Equal("next", MqttUtf8.GetString((await sub.ExpectPublishAsync()).Payload));
    }

    private static async Task<PubRecPacket> ResendOnNewConnectionAsync(RawClient client)
    {
        await client.ConnectAsync("pub", cleanStart: false, properties: Persistent());
        await client.SendAsync(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text("once"), QoS = QoS2, PacketId = 7, Duplicate = true });
        return (await client.ExpectAsync(PacketType.PubRec)).PubRec;
    }

    /// <summary>One SUBSCRIBE per filter, in one write, so the broker reads them all in one go.</summary>
    private static byte[] Subscribes(params string[] filters)
    {
        var bytes = new List<byte>();
        ushort id = 1;
        foreach (string filter in filters)
        {
            bytes.AddRange(Wire.Encode(new SubscribePacket
            {
                PacketId = id++,
                Subscriptions = SubscriptionList.Create([new Subscription(Wire.Text(filter), QoS1, false, false, RetainHandling.SendOnSubscribe)]),
            }, V5));
        }
        return bytes.ToArray();
    }
}
