namespace Mqtt.Broker.Tests;

/// <summary>MQTT 5.0 3.1.2.5, 3.1.3.2 and 3.14.4: the Will Message.</summary>
public sealed class Mqtt5WillTests
{
    private static MqttProperties WillDelay(uint seconds) => new() { WillDelayInterval = seconds };

    /// <summary>
    /// A watcher subscribed to wills/#, once the connection of a persistent client "late", whose Will on wills/late waits
    /// <paramref name="delay"/> seconds, has dropped and nothing was published yet.
    /// </summary>
    private static async Task<RawClient> WatchDelayedWillAsync(TestBroker broker, string payload, uint delay)
    {
        RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using (RawClient client = await broker.OpenAsync())
        {
            await client.ConnectAsync("late", properties: Persistent(), will: Wire.Will("wills/late", payload, properties: WillDelay(delay)));
            client.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(1);
        await watcher.ExpectNothingPendingAsync();
        return watcher;
    }

    [Fact]
    public async Task MQTT5_3_1_2_8_will_is_published_when_the_connection_drops()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS1);
        await using RawClient client = await broker.OpenAsync();
        // [MQTT-3.1.2-7] kept with the session from CONNECT on.
        await client.ConnectAsync("dying", will: Wire.Will("wills/dying", "gone", QoS1));
        client.Drop();
        ReceivedPacket will = await watcher.ExpectPublishPacketAsync();
        Assert.Equal("wills/dying", will.Topic);
        Assert.Equal("gone", will.PayloadText);
        Assert.Equal(QoS1, will.Publish.QoS);
    }

    [Fact]
    public async Task MQTT5_3_1_2_10_will_is_published_once_and_then_removed()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using (RawClient client = await broker.OpenAsync())
        {
            await client.ConnectAsync("dying", properties: Persistent(), will: Wire.Will("wills/dying", "gone"));
            client.Drop();
        }
        await watcher.ExpectPublishAsync();
        await broker.WaitForOpenConnectionsAsync(1);
        // The resumed session has no Will left: dropping again publishes nothing.
        await using (RawClient again = await broker.OpenAsync())
        {
            await again.ConnectAsync("dying", cleanStart: false, properties: Persistent());
            again.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(1);
        await watcher.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_14_4_3_normal_disconnect_discards_the_will()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("polite", will: Wire.Will("wills/polite", "gone"));
        await client.SendAsync(new DisconnectPacket { ReasonCode = ReasonCode.NormalDisconnection });
        await client.ExpectClosedAsync();
        await broker.WaitForOpenConnectionsAsync(1);
        await watcher.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_1_2_8_disconnect_with_will_message_0x04_publishes_the_will()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("leaving", will: Wire.Will("wills/leaving", "bye"));
        await client.SendAsync(new DisconnectPacket { ReasonCode = ReasonCode.DisconnectWithWillMessage });
        await client.ExpectClosedAsync();
        Assert.Equal("bye", (await watcher.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_3_1_2_8_only_disconnect_0x00_discards_the_will()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("failing", will: Wire.Will("wills/failing", "error"));
        await client.SendAsync(new DisconnectPacket { ReasonCode = ReasonCode.UnspecifiedError });
        await client.ExpectClosedAsync();
        Assert.Equal("error", (await watcher.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_3_1_2_8_will_is_published_on_keep_alive_timeout()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("silent", keepAlive: 1, will: Wire.Will("wills/silent", "timeout"));
        await client.ExpectDisconnectAsync(ReasonCode.KeepAliveTimeout, TimeSpan.FromSeconds(10));
        Assert.Equal("timeout", (await watcher.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_3_1_2_8_will_is_published_after_a_protocol_error()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("broken", will: Wire.Will("wills/broken", "malformed"));
        await client.SendAsync(new byte[] { 0x00, 0x00 });
        await client.ExpectDisconnectAsync(ReasonCode.MalformedPacket);
        Assert.Equal("malformed", (await watcher.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_3_1_2_14_will_retain_0_is_published_not_retained()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0, retainAsPublished: true);
        await using (RawClient client = await broker.OpenAsync())
        {
            await client.ConnectAsync("c", will: Wire.Will("wills/c", "plain", retain: false));
            client.Drop();
        }
        Assert.False((await watcher.ExpectPublishAsync()).Retain);
        await using RawClient late = await broker.ConnectAsync("late");
        await late.SubscribeAsync("wills/#", QoS0);
        await late.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_1_2_15_will_retain_1_is_published_retained()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0, retainAsPublished: true);
        await using (RawClient client = await broker.OpenAsync())
        {
            await client.ConnectAsync("c", will: Wire.Will("wills/c", "kept", retain: true));
            client.Drop();
        }
        Assert.True((await watcher.ExpectPublishAsync()).Retain);
        await using RawClient late = await broker.ConnectAsync("late");
        await late.SubscribeAsync("wills/#", QoS0);
        PublishPacket retained = await late.ExpectPublishAsync();
        Assert.True(retained.Retain);
        Assert.Equal("kept", MqttUtf8.GetString(retained.Payload));
    }

    [Fact]
    public async Task MQTT5_3_1_3_9_reconnecting_within_the_will_delay_suppresses_the_will()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using (RawClient client = await broker.OpenAsync())
        {
            await client.ConnectAsync("flaky", properties: Persistent(), will: Wire.Will("wills/flaky", "gone", properties: WillDelay(2)));
            client.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(1);
        await using RawClient back = await broker.OpenAsync();
        await back.ConnectAsync("flaky", cleanStart: false, properties: Persistent());
        await Task.Delay(3000);
        await watcher.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_1_2_8_will_is_published_after_the_will_delay()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await WatchDelayedWillAsync(broker, "eventually", 3);
        Assert.Equal("eventually", (await watcher.ExpectPublishPacketAsync(TimeSpan.FromSeconds(10))).PayloadText);
    }

    /// <summary>At shutdown a Will waiting for its delay goes out to the subscribers still connected, as with Mosquitto.</summary>
    [Fact]
    public async Task A_delayed_will_is_published_to_connected_subscribers_at_shutdown()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await WatchDelayedWillAsync(broker, "at-shutdown", 3600);

        Task stopping = broker.Broker.StopAsync();

        Assert.Equal("at-shutdown", (await watcher.ExpectPublishPacketAsync()).PayloadText);
        await watcher.ExpectDisconnectAsync(ReasonCode.ServerShuttingDown);
        await stopping;
    }

    [Fact]
    public async Task MQTT5_3_1_2_8_will_is_published_when_the_session_ends_before_the_will_delay()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using (RawClient client = await broker.OpenAsync())
        {
            await client.ConnectAsync("short", properties: Persistent(1), will: Wire.Will("wills/short", "session-end", properties: WillDelay(3600)));
            client.Drop();
        }
        Assert.Equal("session-end", (await watcher.ExpectPublishPacketAsync(TimeSpan.FromSeconds(10))).PayloadText);
    }

    [Fact]
    public async Task MQTT5_3_1_2_8_clean_start_reconnect_ends_the_session_and_publishes_a_delayed_will()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using (RawClient client = await broker.OpenAsync())
        {
            await client.ConnectAsync("restart", properties: Persistent(), will: Wire.Will("wills/restart", "old-session", properties: WillDelay(3600)));
            client.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(1);
        await using RawClient fresh = await broker.OpenAsync();
        await fresh.ConnectAsync("restart", cleanStart: true);
        Assert.Equal("old-session", (await watcher.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_3_1_3_10_will_user_properties_keep_their_order()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        (string, string)[] pairs = [("z", "1"), ("a", "2"), ("z", "3")];
        await using (RawClient client = await broker.OpenAsync())
        {
            var properties = new MqttProperties
            {
                UserProperties = UserProperties.Create(pairs),
                ContentType = Wire.Text("text/plain"),
                ResponseTopic = Wire.Text("wills/ack"),
            };
            await client.ConnectAsync("c", will: Wire.Will("wills/c", "props", properties: properties));
            client.Drop();
        }
        PublishPacket will = await watcher.ExpectPublishAsync();
        Assert.Equal(pairs, Wire.Pairs(will.Properties.UserProperties));
        Assert.Equal("text/plain", MqttUtf8.GetString(will.Properties.ContentType!.Value));
        Assert.Equal("wills/ack", MqttUtf8.GetString(will.Properties.ResponseTopic!.Value));
    }

    [Fact]
    public async Task MQTT5_3_1_4_3_takeover_publishes_the_old_connections_will()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using RawClient old = await broker.OpenAsync();
        await old.ConnectAsync("same", will: Wire.Will("wills/same", "taken-over"));
        await using RawClient newer = await broker.ConnectAsync("same");
        await old.ExpectDisconnectAsync(ReasonCode.SessionTakenOver);
        Assert.Equal("taken-over", (await watcher.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_3_1_4_3_the_old_connections_will_goes_out_before_the_new_connection_can_publish()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient old = await broker.OpenAsync();
        await old.ConnectAsync("device", properties: Persistent(), will: Wire.Will("status/device", "offline", retain: true));
        await using RawClient newer = await broker.ConnectAsync("device", cleanStart: false, properties: Persistent());
        // The usual status pattern: the device says it is back right after its CONNACK.
        Assert.Equal(ReasonCode.NoMatchingSubscribers, await newer.PublishAsync("status/device", "online", QoS1, retain: true));
        await old.ExpectDisconnectAsync(ReasonCode.SessionTakenOver);
        await broker.WaitForOpenConnectionsAsync(1);

        await using RawClient reader = await broker.ConnectAsync("reader");
        await reader.SubscribeAsync("status/device", QoS0);
        // Before the fix the Will went out once the old connection had finished closing, a second later: "offline".
        Assert.Equal("online", (await reader.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_3_1_2_8_takeover_with_clean_start_publishes_a_delayed_will_at_once()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using RawClient old = await broker.OpenAsync();
        await old.ConnectAsync("same", properties: Persistent(), will: Wire.Will("wills/same", "session-ended", properties: WillDelay(3600)));
        await using RawClient newer = await broker.ConnectAsync("same", cleanStart: true);
        await old.ExpectDisconnectAsync(ReasonCode.SessionTakenOver);
        Assert.Equal("session-ended", (await watcher.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_3_1_3_9_takeover_with_clean_start_0_suppresses_a_delayed_will()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using RawClient old = await broker.OpenAsync();
        await old.ConnectAsync("same", properties: Persistent(), will: Wire.Will("wills/same", "not-yet", properties: WillDelay(1)));
        await using RawClient newer = await broker.OpenAsync();
        await newer.ConnectAsync("same", cleanStart: false, properties: Persistent());
        await old.ExpectDisconnectAsync(ReasonCode.SessionTakenOver);
        await broker.WaitForOpenConnectionsAsync(2);
        await Task.Delay(2000);
        await watcher.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_1_3_9_takeover_with_clean_start_0_and_session_expiry_0_still_suppresses_a_delayed_will()
    {
        // The new connection's expiry 0 ends the session when it closes, not now: the client is back in time.
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using RawClient old = await broker.OpenAsync();
        await old.ConnectAsync("same", properties: Persistent(), will: Wire.Will("wills/same", "not-yet", properties: WillDelay(60)));
        await using RawClient newer = await broker.OpenAsync();
        await newer.ConnectAsync("same", cleanStart: false, properties: Persistent(0));
        await old.ExpectDisconnectAsync(ReasonCode.SessionTakenOver);
        await broker.WaitForOpenConnectionsAsync(2);
        await watcher.ExpectNothingPendingAsync();
    }

    /// <summary>
    /// The old connection had Session Expiry 0, yet the new one (Clean Start 0) resumed its session while it was still
    /// connected: the session goes on, so its delayed Will is not sent either. Before, it went out at once beside a
    /// CONNACK saying Session Present 1 (found by a black-box stress run).
    /// </summary>
    [Fact]
    public async Task MQTT5_3_1_3_9_a_session_of_expiry_0_resumed_by_a_takeover_keeps_its_delayed_will_unsent()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using RawClient old = await broker.OpenAsync();
        await old.ConnectAsync("same", will: Wire.Will("wills/same", "not-yet", properties: WillDelay(60)));
        await old.SubscribeAsync("kept", QoS0);
        await using RawClient newer = await broker.OpenAsync();
        Assert.True((await newer.ConnectAsync("same", cleanStart: false)).SessionPresent);
        await old.ExpectDisconnectAsync(ReasonCode.SessionTakenOver);
        // A Will published at the takeover is routed before the new CONNACK is queued, so before this PINGRESP.
        await watcher.ExpectNothingPendingAsync();
    }

    /// <summary>A Will published after its delay is gone from the session: neither the session's end nor the shutdown publishes it again.</summary>
    [Theory]
    [InlineData("clean start")]
    [InlineData("shutdown")]
    public async Task MQTT5_3_1_2_10_a_delayed_will_is_published_once(string then)
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await WatchDelayedWillAsync(broker, "once", 1);
        Assert.Equal("once", (await watcher.ExpectPublishPacketAsync(TimeSpan.FromSeconds(10))).PayloadText);

        if (then == "clean start")
        {
            // Ends the session the Will waited on [MQTT-3.1.2-8]; its Will is no longer there to go out.
            await using RawClient back = await broker.ConnectAsync("late", cleanStart: true);
            await watcher.ExpectNothingPendingAsync();
        }
        else
        {
            Task stopping = broker.Broker.StopAsync();
            await watcher.ExpectDisconnectAsync(ReasonCode.ServerShuttingDown);
            await stopping;
        }
    }

    /// <summary>3.1.3.2.4: the Message Expiry Interval is the Will's lifetime once published, not counted from CONNECT.</summary>
    [Fact]
    public async Task MQTT5_sec_3_1_3_2_will_message_expiry_counts_from_its_publication()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS1);
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("brief", will: Wire.Will("wills/brief", "gone", QoS1, properties: new MqttProperties { MessageExpiryInterval = 1 }));
        await Task.Delay(1500); // connected longer than the Will's lifetime

        client.Drop();

        ReceivedPacket will = await watcher.ExpectPublishPacketAsync();
        Assert.Equal("gone", will.PayloadText);
        Assert.Equal(1u, will.Publish.Properties.MessageExpiryInterval);
    }
}
