using System.Text;

namespace Mqtt.Broker.Tests;

/// <summary>MQTT 5.0 sections 3.3-3.7 and 4.3-4.6: PUBLISH and its acknowledgements, both directions.</summary>
public sealed class Mqtt5PublishTests
{
    [Fact]
    public async Task MQTT5_3_3_4_1_qos1_publish_is_answered_with_puback_carrying_its_id()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.SendAsync(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text("p"), QoS = QoS1, PacketId = 4242 });
        // [MQTT-4.3.2-4] [MQTT-2.2.1-5] the PUBACK echoes the id; 0x10: nobody subscribed.
        PubAckPacket ack = (await client.ExpectAsync(PacketType.PubAck)).PubAck;
        Assert.Equal(4242, ack.PacketId);
        Assert.Equal(ReasonCode.NoMatchingSubscribers, ack.ReasonCode);
    }

    [Fact]
    public async Task MQTT5_4_3_3_8_qos2_publish_is_answered_with_pubrec_and_4_3_3_11_pubrel_with_pubcomp()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("t", QoS2);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.SendAsync(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text("p"), QoS = QoS2, PacketId = 77 });
        PubRecPacket rec = (await client.ExpectAsync(PacketType.PubRec)).PubRec;
        Assert.Equal(77, rec.PacketId);
        Assert.Equal(ReasonCode.Success, rec.ReasonCode);
        await client.SendAckAsync(PacketType.PubRel, 77);
        PubCompPacket comp = (await client.ExpectAsync(PacketType.PubComp)).PubComp;
        Assert.Equal(77, comp.PacketId);
        Assert.Equal(ReasonCode.Success, comp.ReasonCode);
    }

    [Fact]
    public async Task MQTT5_4_3_3_10_duplicate_qos2_before_pubrel_gets_pubrec_and_is_not_delivered_twice()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("t", QoS2);
        await using RawClient client = await broker.ConnectAsync("pub");
        var publish = new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text("once"), QoS = QoS2, PacketId = 9 };
        await client.SendAsync(publish);
        Assert.Equal(9, (await client.ExpectAsync(PacketType.PubRec)).PubRec.PacketId);
        await client.SendAsync(publish with { Duplicate = true });
        Assert.Equal(9, (await client.ExpectAsync(PacketType.PubRec)).PubRec.PacketId);
        await client.SendAckAsync(PacketType.PubRel, 9);
        await client.ExpectAsync(PacketType.PubComp);
        ReceivedPacket delivered = await sub.ExpectPublishPacketAsync();
        Assert.Equal("once", delivered.PayloadText);
        await sub.SendAckAsync(PacketType.PubRec, delivered.Publish.PacketId);
        await sub.ExpectAsync(PacketType.PubRel);
        await sub.SendAckAsync(PacketType.PubComp, delivered.Publish.PacketId);
        await sub.ExpectNothingPendingAsync();
    }

    /// <summary>
    /// Any PUBLISH with the id before its PUBREL is a resend, DUP or not: taking one without DUP as a new message (for
    /// the MQTTnet client, which restarts its ids without a PUBREL after a reconnection) delivered a client's resend
    /// without DUP twice (found by a 3.1.1 probe; reverted).
    /// </summary>
    [Theory]
    [InlineData(ProtocolVersion.V500)]
    [InlineData(ProtocolVersion.V311)]
    public async Task MQTT5_4_3_3_10_a_qos2_publish_without_dup_before_pubrel_is_not_delivered_twice(ProtocolVersion version)
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("t", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub", version);
        var publish = new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text("once"), QoS = QoS2, PacketId = 9 };
        await client.SendAsync(publish);
        await client.ExpectAsync(PacketType.PubRec);
        await client.SendAsync(publish);
        await client.ExpectAsync(PacketType.PubRec);
        await client.SendAckAsync(PacketType.PubRel, 9);
        await client.ExpectAsync(PacketType.PubComp);

        ReceivedPacket delivered = await sub.ExpectPublishPacketAsync();
        Assert.Equal("once", delivered.PayloadText);
        await sub.SendAckAsync(PacketType.PubAck, delivered.Publish.PacketId);
        await sub.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_4_3_3_12_after_pubcomp_the_same_packet_id_is_a_new_message()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("t", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub");
        for (int i = 0; i < 2; i++)
        {
            await client.SendAsync(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text($"m{i}"), QoS = QoS2, PacketId = 5 });
            await client.ExpectAsync(PacketType.PubRec);
            await client.SendAckAsync(PacketType.PubRel, 5);
            await client.ExpectAsync(PacketType.PubComp);
        }
        Assert.Equal("m0", (await sub.ExpectPublishPacketAsync()).PayloadText);
        Assert.Equal("m1", (await sub.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_4_3_2_5_after_puback_the_same_packet_id_is_a_new_message()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("t", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub");
        for (int i = 0; i < 2; i++)
        {
            // The second one even says DUP: after the PUBACK it is still a new message.
            await client.SendAsync(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text($"m{i}"), QoS = QoS1, PacketId = 5, Duplicate = i == 1 });
            await client.ExpectAsync(PacketType.PubAck);
        }
        Assert.Equal("m0", (await sub.ExpectPublishPacketAsync()).PayloadText);
        Assert.Equal("m1", (await sub.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_4_3_3_9_after_a_failed_pubrec_the_same_packet_id_is_a_new_message()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = new PermissiveAuthorizer());
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("ok", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.SendAsync(new PublishPacket { Topic = Wire.Text("deny/x"), Payload = Wire.Text("no"), QoS = QoS2, PacketId = 3 });
        Assert.Equal(ReasonCode.NotAuthorized, (await client.ExpectAsync(PacketType.PubRec)).PubRec.ReasonCode);
        await client.SendAsync(new PublishPacket { Topic = Wire.Text("ok"), Payload = Wire.Text("yes"), QoS = QoS2, PacketId = 3 });
        Assert.Equal(ReasonCode.Success, (await client.ExpectAsync(PacketType.PubRec)).PubRec.ReasonCode);
        Assert.Equal("yes", (await sub.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_4_3_1_1_qos0_is_delivered_with_qos0_and_dup0()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("t", QoS2);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("t", "zero");
        ReceivedPacket received = await sub.ExpectPublishPacketAsync();
        PublishPacket p = received.Publish;
        Assert.Equal(QoS0, p.QoS);
        Assert.False(p.Duplicate);
        // [MQTT-2.2.1-2] no Packet Identifier on the wire: topic (2+1), property length (1), payload "zero" (4).
        Assert.Equal(2 + 1 + 1 + 4, received.Body.Length);
    }

    [Fact]
    public async Task MQTT5_4_3_2_1_server_qos1_sender_uses_a_fresh_nonzero_id_dup0_and_holds_until_puback()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub", properties: Persistent());
        await sub.SubscribeAsync("t", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub");
        for (int i = 0; i < 10; i++)
        {
            await client.PublishAsync("t", $"m{i}", QoS1);
        }
        var ids = new HashSet<ushort>();
        for (int i = 0; i < 10; i++)
        {
            PublishPacket p = await sub.ExpectPublishAsync();
            // [MQTT-4.3.2-2] first transmission: QoS 1, DUP 0; [MQTT-2.2.1-4] non-zero and not in use.
            Assert.Equal(QoS1, p.QoS);
            Assert.False(p.Duplicate);
            Assert.NotEqual(0, p.PacketId);
            Assert.True(ids.Add(p.PacketId), $"packet id {p.PacketId} reused while in flight");
        }
        // [MQTT-4.3.2-3] unacknowledged: they come back on the resumed session.
        sub.Drop();
        await broker.WaitForOpenConnectionsAsync(1);
        await using RawClient again = await broker.OpenAsync();
        Assert.True((await again.ConnectAsync("sub", cleanStart: false, properties: Persistent())).SessionPresent);
        for (int i = 0; i < 10; i++)
        {
            PublishPacket p = await again.ExpectPublishAsync();
            Assert.Contains(p.PacketId, ids);
            await again.SendAckAsync(PacketType.PubAck, p.PacketId);
        }
        await again.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_3_1_1_resend_after_reconnect_sets_dup_and_4_4_0_1_keeps_the_packet_id()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub", properties: Persistent());
        await sub.SubscribeAsync("t", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("t", "again", QoS1);
        PublishPacket first = await sub.ExpectPublishAsync();
        Assert.False(first.Duplicate);
        sub.Drop();
        await broker.WaitForOpenConnectionsAsync(1);
        await using RawClient resumed = await broker.OpenAsync();
        Assert.True((await resumed.ConnectAsync("sub", cleanStart: false, properties: Persistent())).SessionPresent);
        ReceivedPacket resent = await resumed.ExpectPublishPacketAsync();
        Assert.True(resent.Publish.Duplicate);
        Assert.Equal(first.PacketId, resent.Publish.PacketId);
        Assert.Equal("again", resent.PayloadText);
    }

    [Fact]
    public async Task MQTT5_4_4_0_1_no_resend_when_the_session_is_not_resumed()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub", properties: Persistent());
        await sub.SubscribeAsync("t", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("t", "lost", QoS1);
        await sub.ExpectPublishAsync();
        sub.Drop();
        await broker.WaitForOpenConnectionsAsync(1);
        await using RawClient fresh = await broker.OpenAsync();
        Assert.False((await fresh.ConnectAsync("sub", cleanStart: true, properties: Persistent())).SessionPresent);
        await fresh.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_4_3_3_1_server_qos2_sender_flow_and_4_4_0_1_pubrel_is_resent_not_the_publish()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub", properties: Persistent());
        await sub.SubscribeAsync("t", QoS2);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("t", "exactly", QoS2);
        PublishPacket p = await sub.ExpectPublishAsync();
        // [MQTT-4.3.3-2] QoS 2, DUP 0 on first transmission.
        Assert.Equal(QoS2, p.QoS);
        Assert.False(p.Duplicate);
        Assert.NotEqual(0, p.PacketId);
        await sub.SendAckAsync(PacketType.PubRec, p.PacketId);
        // [MQTT-4.3.3-4] PUBREL with the same id.
        PubRelPacket rel = (await sub.ExpectAsync(PacketType.PubRel)).PubRel;
        Assert.Equal(p.PacketId, rel.PacketId);
        // [MQTT-4.3.3-5] [MQTT-4.3.3-6] unacknowledged PUBREL is resent on resume, the PUBLISH never again.
        sub.Drop();
        await broker.WaitForOpenConnectionsAsync(1);
        await using RawClient resumed = await broker.OpenAsync();
        Assert.True((await resumed.ConnectAsync("sub", cleanStart: false, properties: Persistent())).SessionPresent);
        PubRelPacket again = (await resumed.ExpectAsync(PacketType.PubRel)).PubRel;
        Assert.Equal(p.PacketId, again.PacketId);
        await resumed.SendAckAsync(PacketType.PubComp, p.PacketId);
        await resumed.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_4_3_3_3_server_qos2_publish_is_resent_with_dup_until_pubrec()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub", properties: Persistent());
        await sub.SubscribeAsync("t", QoS2);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("t", "two", QoS2);
        PublishPacket p = await sub.ExpectPublishAsync();
        sub.Drop();
        await broker.WaitForOpenConnectionsAsync(1);
        await using RawClient resumed = await broker.OpenAsync();
        await resumed.ConnectAsync("sub", cleanStart: false, properties: Persistent());
        PublishPacket resent = await resumed.ExpectPublishAsync();
        Assert.True(resent.Duplicate);
        Assert.Equal(p.PacketId, resent.PacketId);
        await resumed.SendAckAsync(PacketType.PubRec, p.PacketId);
        await resumed.ExpectAsync(PacketType.PubRel);
        await resumed.SendAckAsync(PacketType.PubComp, p.PacketId);
        await resumed.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_3_2_5_message_expiry_0_reaches_connected_subscribers_and_is_not_kept()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient away = await broker.ConnectAsync("away", properties: Persistent()))
        {
            await away.SubscribeAsync("t", QoS1);
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("t", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub");
        var expiresAtOnce = new MqttProperties { MessageExpiryInterval = 0 };

        Assert.Equal(ReasonCode.Success, await client.PublishAsync("t", "now", QoS1, retain: true, properties: expiresAtOnce));
        ReceivedPacket live = await sub.ExpectPublishPacketAsync();
        Assert.Equal("now", live.PayloadText);
        Assert.Equal(0u, live.Publish.Properties.MessageExpiryInterval);

        // A lifetime under a second: neither the session that was away nor a later subscriber gets it.
        await Task.Delay(1200);
        await using RawClient back = await broker.OpenAsync();
        await back.ConnectAsync("away", cleanStart: false, properties: Persistent());
        await back.SubscribeAsync("t", QoS1);
        await back.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_4_3_3_7_no_message_expiry_once_the_qos2_publish_was_sent()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub", properties: Persistent());
        await sub.SubscribeAsync("t", QoS2);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("t", "short-lived", QoS2, properties: new MqttProperties { MessageExpiryInterval = 1 });
        PublishPacket p = await sub.ExpectPublishAsync();
        sub.Drop();
        await broker.WaitForOpenConnectionsAsync(1);
        await Task.Delay(2200);
        await using RawClient resumed = await broker.OpenAsync();
        await resumed.ConnectAsync("sub", cleanStart: false, properties: Persistent());
        PublishPacket resent = await resumed.ExpectPublishAsync();
        Assert.Equal(p.PacketId, resent.PacketId);
        Assert.True(resent.Duplicate);
    }

    [Fact]
    public async Task MQTT5_4_4_0_2_failed_puback_counts_as_acknowledged()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.OpenAsync();
        await sub.ConnectAsync("sub", properties: new MqttProperties { SessionExpiryInterval = 300, ReceiveMaximum = 1 });
        await sub.SubscribeAsync("t", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("t", "m1", QoS1);
        await client.PublishAsync("t", "m2", QoS1);
        PublishPacket first = await sub.ExpectPublishAsync();
        await sub.SendAckAsync(PacketType.PubAck, first.PacketId, ReasonCode.UnspecifiedError);
        PublishPacket second = await sub.ExpectPublishAsync();
        Assert.Equal("m2", MqttUtf8.GetString(second.Payload));
        sub.Drop();
        await broker.WaitForOpenConnectionsAsync(1);
        await using RawClient resumed = await broker.OpenAsync();
        await resumed.ConnectAsync("sub", cleanStart: false, properties: Persistent());
        // Only m2 is outstanding; the refused m1 is never retransmitted.
        PublishPacket resent = await resumed.ExpectPublishAsync();
        Assert.Equal("m2", MqttUtf8.GetString(resent.Payload));
        await resumed.SendAckAsync(PacketType.PubAck, resent.PacketId);
        await resumed.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_4_4_0_2_failed_pubrec_counts_as_acknowledged()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.OpenAsync();
        await sub.ConnectAsync("sub", properties: new MqttProperties { ReceiveMaximum = 1 });
        await sub.SubscribeAsync("t", QoS2);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("t", "m1", QoS2);
        await client.PublishAsync("t", "m2", QoS2);
        PublishPacket first = await sub.ExpectPublishAsync();
        await sub.SendAckAsync(PacketType.PubRec, first.PacketId, ReasonCode.ImplementationSpecificError);
        // No PUBREL for the refused one, and the window is free for the next.
        PublishPacket second = await sub.ExpectPublishAsync();
        Assert.Equal("m2", MqttUtf8.GetString(second.Payload));
    }

    [Fact]
    public async Task MQTT5_3_3_1_3_outgoing_dup_does_not_copy_the_incoming_dup()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("t", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("t", "dup-in", QoS1, duplicate: true);
        Assert.False((await sub.ExpectPublishAsync()).Duplicate);
    }

    [Fact]
    public async Task MQTT5_4_6_0_5_messages_are_forwarded_in_the_order_received()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("t", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub");
        for (int i = 0; i < 50; i++)
        {
            await client.SendAsync(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text($"{i}"), QoS = QoS1, PacketId = (ushort)(i + 1) });
        }
        for (int i = 0; i < 50; i++)
        {
            await client.ExpectAsync(PacketType.PubAck);
        }
        for (int i = 0; i < 50; i++)
        {
            ReceivedPacket p = await sub.ExpectPublishPacketAsync();
            Assert.Equal($"{i}", p.PayloadText);
            await sub.SendAckAsync(PacketType.PubAck, p.Publish.PacketId);
        }
    }

    [Fact]
    public async Task MQTT5_4_6_0_6_ordered_also_across_a_session_resume()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient sub = await broker.ConnectAsync("sub", properties: Persistent()))
        {
            await sub.SubscribeAsync("t", QoS2);
            sub.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient client = await broker.ConnectAsync("pub");
        for (int i = 0; i < 20; i++)
        {
            await client.PublishAsync("t", $"{i}", i % 2 == 0 ? QoS1 : QoS2);
        }
        await using RawClient resumed = await broker.OpenAsync();
        await resumed.ConnectAsync("sub", cleanStart: false, properties: Persistent());
        for (int i = 0; i < 20; i++)
        {
            ReceivedPacket p = await resumed.ExpectPublishPacketAsync();
            Assert.Equal($"{i}", p.PayloadText);
            if (p.Publish.QoS == QoS1)
            {
                await resumed.SendAckAsync(PacketType.PubAck, p.Publish.PacketId);
            }
            else
            {
                await resumed.SendAckAsync(PacketType.PubRec, p.Publish.PacketId);
                await resumed.ReadUntilAsync(PacketType.PubRel);
                await resumed.SendAckAsync(PacketType.PubComp, p.Publish.PacketId);
            }
        }
    }

    [Fact]
    public async Task MQTT5_4_6_0_5_messages_resent_on_resume_keep_their_original_order()
    {
        await using var broker = await TestBroker.StartAsync();
        var properties = new MqttProperties { SessionExpiryInterval = 300, ReceiveMaximum = 3 };
        await using RawClient sub = await broker.OpenAsync();
        await sub.ConnectAsync("sub", properties: properties);
        await sub.SubscribeAsync("t", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub");
        for (int i = 1; i <= 3; i++)
        {
            await client.PublishAsync("t", $"m{i}", QoS1);
        }
        PublishPacket m1 = await sub.ExpectPublishAsync();
        await sub.ExpectPublishAsync();
        await sub.ExpectPublishAsync();
        // Acknowledge only the first, so a later message takes its place in flight.
        await sub.SendAckAsync(PacketType.PubAck, m1.PacketId);
        await client.PublishAsync("t", "m4", QoS1);
        Assert.Equal("m4", Text(await sub.ExpectPublishAsync()));
        sub.Drop();
        await broker.WaitForOpenConnectionsAsync(1);
        await using RawClient resumed = await broker.OpenAsync();
        await resumed.ConnectAsync("sub", cleanStart: false, properties: properties);
        for (int i = 2; i <= 4; i++)
        {
            PublishPacket p = await resumed.ExpectPublishAsync();
            Assert.Equal($"m{i}", Text(p));
            Assert.True(p.Duplicate);
        }
    }

    [Fact]
    public async Task MQTT5_3_8_4_8_delivered_qos_is_the_minimum_of_published_and_granted()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("t", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("t", "two", QoS2);
        await client.PublishAsync("t", "zero", QoS0);
        PublishPacket a = await sub.ExpectPublishAsync();
        Assert.Equal(QoS1, a.QoS);
        await sub.SendAckAsync(PacketType.PubAck, a.PacketId);
        Assert.Equal(QoS0, (await sub.ExpectPublishAsync()).QoS);
    }

    [Fact]
    public async Task MQTT5_3_3_4_2_overlapping_subscriptions_deliver_one_copy_at_the_highest_qos()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("a/+", QoS0);
        await sub.SubscribeAsync("a/#", QoS2);
        await sub.SubscribeAsync("a/b", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("a/b", "once", QoS2);
        PublishPacket p = await sub.ExpectPublishAsync();
        Assert.Equal(QoS2, p.QoS);
        await sub.SendAckAsync(PacketType.PubRec, p.PacketId);
        await sub.ExpectAsync(PacketType.PubRel);
        await sub.SendAckAsync(PacketType.PubComp, p.PacketId);
        await sub.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_3_4_3_overlapping_subscriptions_send_every_matching_subscription_identifier()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("a/+", QoS0, subscriptionIdentifier: 7);
        await sub.SubscribeAsync("a/#", QoS1, subscriptionIdentifier: 300);
        await sub.SubscribeAsync("#", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("a/b", "ids");
        PublishPacket p = await sub.ExpectPublishAsync();
        // [MQTT-3.3.4-4] one copy carries all of them, in any order.
        Assert.Equal(new[] { 7, 300 }, Wire.Ids(p.Properties.SubscriptionIdentifiers));
        await sub.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_8_3_3_a_no_local_subscription_adds_no_identifier_to_the_clients_own_message()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("self");
        await client.SubscribeAsync("a/+", QoS0, noLocal: true, subscriptionIdentifier: 1);
        await client.SubscribeAsync("a/b", QoS0, subscriptionIdentifier: 2);
        await client.SubscribeAsync("+/b", QoS0, subscriptionIdentifier: 3);

        await client.PublishAsync("a/b", "own");

        // Its copy comes from the two other subscriptions only (two or more identifiers took another path than one).
        PublishPacket p = await client.ExpectPublishAsync();
        Assert.Equal(new[] { 2, 3 }, Wire.Ids(p.Properties.SubscriptionIdentifiers).Order());
    }

    [Fact]
    public async Task MQTT5_3_3_4_3_a_hundred_overlapping_subscriptions_send_all_their_identifiers()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub");
        // 100 of the 128 filters that match a seven-level topic, each level its own name or '+'.
        string[] levels = ["a", "b", "c", "d", "e", "f", "g"];
        for (int mask = 0; mask < 100; mask++)
        {
            string filter = string.Join('/', levels.Select((level, i) => (mask & (1 << i)) != 0 ? "+" : level));
            await sub.SubscribeAsync(filter, QoS0, subscriptionIdentifier: mask + 1);
        }
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("a/b/c/d/e/f/g", "ids");
        PublishPacket p = await sub.ExpectPublishAsync();
        Assert.Equal(Enumerable.Range(1, 100), Wire.Ids(p.Properties.SubscriptionIdentifiers).Order());
    }

    [Fact]
    public async Task MQTT5_sec_3_8_2_1_2_subscription_identifier_is_returned_with_matching_messages()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("with/id", QoS0, subscriptionIdentifier: 268_435_455);
        await sub.SubscribeAsync("without/id", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("with/id");
        await client.PublishAsync("without/id");
        Assert.Equal(new[] { 268_435_455 }, Wire.Ids((await sub.ExpectPublishAsync()).Properties.SubscriptionIdentifiers));
        Assert.Equal(0, (await sub.ExpectPublishAsync()).Properties.SubscriptionIdentifiers.Count);
    }

    [Fact]
    public async Task MQTT5_3_3_2_3_delivered_topic_name_matches_the_subscription_filter()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("sport/+/player1", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("sport/tennis/player1");
        await client.PublishAsync("sport/tennis/player2");
        await client.PublishAsync("sport/golf/player1");
        await client.SyncAsync();
        Assert.Equal("sport/tennis/player1", (await sub.ExpectPublishPacketAsync()).Topic);
        Assert.Equal("sport/golf/player1", (await sub.ExpectPublishPacketAsync()).Topic);
        await sub.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_4_5_0_1_accepted_message_reaches_every_matching_session()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient offline = await broker.ConnectAsync("offline", properties: Persistent()))
        {
            await offline.SubscribeAsync("t", QoS1);
            offline.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient a = await broker.ConnectAsync("a");
        await a.SubscribeAsync("t", QoS1);
        await using RawClient b = await broker.ConnectAsync("b", V311);
        await b.SubscribeAsync("#", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("t", "all", QoS1);
        Assert.Equal("all", (await a.ExpectPublishPacketAsync()).PayloadText);
        Assert.Equal("all", (await b.ExpectPublishPacketAsync()).PayloadText);
        await using RawClient back = await broker.OpenAsync();
        await back.ConnectAsync("offline", cleanStart: false, properties: Persistent());
        Assert.Equal("all", (await back.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_sec_3_3_5_unauthorized_publish_gets_puback_0x87_and_is_not_delivered()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = new PermissiveAuthorizer());
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("#", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub");
        // [MQTT-3.4.2-1] a PUBACK code from the PUBACK table.
        Assert.Equal(ReasonCode.NotAuthorized, await client.PublishAsync("deny/x", "no", QoS1));
        await sub.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_3_4_6_client_publish_with_a_subscription_identifier_is_a_protocol_error()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.SendAsync(new PublishPacket
        {
            Topic = Wire.Text("t"),
            Payload = Wire.Text("p"),
            Properties = new MqttProperties { SubscriptionIdentifiers = SubscriptionIdentifiers.Create(1) },
        });
        await client.ExpectDisconnectAsync(ReasonCode.ProtocolError);
    }

    [Fact]
    public async Task MQTT5_3_6_2_1_pubrel_for_an_unknown_id_gets_pubcomp_0x92()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.SendAckAsync(PacketType.PubRel, 999);
        PubCompPacket comp = (await client.ExpectAsync(PacketType.PubComp)).PubComp;
        // [MQTT-3.7.2-1] a PUBCOMP Reason Code.
        Assert.Equal(999, comp.PacketId);
        Assert.Equal(ReasonCode.PacketIdentifierNotFound, comp.ReasonCode);
    }

    [Fact]
    public async Task MQTT5_3_5_2_1_pubrec_for_an_unknown_id_gets_pubrel_0x92()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("sub");
        await client.SendAckAsync(PacketType.PubRec, 999);
        PubRelPacket rel = (await client.ExpectAsync(PacketType.PubRel)).PubRel;
        Assert.Equal(999, rel.PacketId);
        Assert.Equal(ReasonCode.PacketIdentifierNotFound, rel.ReasonCode);
    }

    [Fact]
    public async Task MQTT5_4_3_3_13_qos2_handshake_completes_even_for_an_expired_message()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.SendAsync(new PublishPacket
        {
            Topic = Wire.Text("t"),
            Payload = Wire.Text("p"),
            QoS = QoS2,
            PacketId = 1,
            Properties = new MqttProperties { MessageExpiryInterval = 1 },
        });
        await client.ExpectAsync(PacketType.PubRec);
        await Task.Delay(1200);
        await client.SendAckAsync(PacketType.PubRel, 1);
        Assert.Equal(ReasonCode.Success, (await client.ExpectAsync(PacketType.PubComp)).PubComp.ReasonCode);
    }

    [Fact]
    public async Task MQTT5_sec_3_3_2_3_payload_is_forwarded_byte_for_byte()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("bin", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub");
        byte[] payload = new byte[70_000];
        new Random(3).NextBytes(payload);
        await client.PublishAsync("bin", payload);
        Assert.Equal(payload, (await sub.ExpectPublishAsync()).Payload.ToArray());
        await client.PublishAsync("bin", Array.Empty<byte>());
        Assert.True((await sub.ExpectPublishAsync()).Payload.IsEmpty);
    }

    internal static string Text(PublishPacket p) => Encoding.UTF8.GetString(p.Payload.ToArray());
}
