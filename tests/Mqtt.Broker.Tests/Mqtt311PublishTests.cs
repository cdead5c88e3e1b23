namespace Mqtt.Broker.Tests;

/// <summary>MQTT 3.1.1 sections 3.3-3.7 and 4.3-4.7: PUBLISH flows, ordering and matching.</summary>
public sealed class Mqtt311PublishTests
{
    [Fact]
    public async Task MQTT311_3_3_4_1_publish_is_answered_per_its_qos_with_2_3_1_6_the_same_id()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text("0"), QoS = QoS0 });
        await client.SendAsync(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text("1"), QoS = QoS1, PacketId = 11 });
        await client.SendAsync(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text("2"), QoS = QoS2, PacketId = 12 });
        ReceivedPacket ack = await client.ExpectAsync(PacketType.PubAck);
        Assert.Equal(new byte[] { 0, 11 }, ack.Body);
        ReceivedPacket rec = await client.ExpectAsync(PacketType.PubRec);
        Assert.Equal(new byte[] { 0, 12 }, rec.Body);
        await client.SendAckAsync(PacketType.PubRel, 12);
        ReceivedPacket comp = await client.ExpectAsync(PacketType.PubComp);
        Assert.Equal(new byte[] { 0, 12 }, comp.Body);
        await client.ExpectNothingPendingAsync();
    }

    /// <summary>
    /// 3.1.1 has no Receive Maximum, so a client cannot know ours: QoS 2 flows past it are accepted, not cut off with a
    /// bare close (as MQTT.js's unbounded bursts were: every PUBCOMP lost with the connection).
    /// </summary>
    [Fact]
    public async Task MQTT311_4_3_3_qos2_flows_beyond_our_receive_maximum_are_accepted()
    {
        await using var broker = await TestBroker.StartAsync(o => o.ReceiveMaximum = 2);
        await using RawClient sub = await broker.ConnectAsync("sub", V311);
        await sub.SubscribeAsync("t", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub", V311);
        for (ushort id = 1; id <= 5; id++)
        {
            await client.SendAsync(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text($"{id}"), QoS = QoS2, PacketId = id });
        }
        for (ushort id = 1; id <= 5; id++)
        {
            Assert.Equal(new byte[] { 0, (byte)id }, (await client.ExpectAsync(PacketType.PubRec)).Body);
        }
        for (ushort id = 1; id <= 5; id++)
        {
            await client.SendAckAsync(PacketType.PubRel, id);
            Assert.Equal(new byte[] { 0, (byte)id }, (await client.ExpectAsync(PacketType.PubComp)).Body);
        }
        for (int i = 1; i <= 5; i++)
        {
            Assert.Equal($"{i}", (await sub.ExpectPublishPacketAsync()).PayloadText);
        }
        await sub.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_4_3_1_1_qos0_is_delivered_with_qos0_and_dup0()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub", V311);
        await sub.SubscribeAsync("t", QoS2);
        await using RawClient client = await broker.ConnectAsync("pub", V311);
        await client.PublishAsync("t", "zero");
        ReceivedPacket p = await sub.ExpectPublishPacketAsync();
        Assert.Equal(0, p.Flags);
    }

    [Fact]
    public async Task MQTT311_4_3_2_1_server_qos1_sender_uses_an_unused_id_and_dup0_and_2_3_1_4()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub", V311);
        await sub.SubscribeAsync("t", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub", V311);
        for (int i = 0; i < 5; i++)
        {
            await client.PublishAsync("t", $"{i}", QoS1);
        }
        var ids = new HashSet<ushort>();
        for (int i = 0; i < 5; i++)
        {
            PublishPacket p = await sub.ExpectPublishAsync();
            Assert.Equal(QoS1, p.QoS);
            Assert.False(p.Duplicate);
            Assert.NotEqual(0, p.PacketId);
            Assert.True(ids.Add(p.PacketId));
        }
    }

    [Fact]
    public async Task MQTT311_4_3_2_2_qos1_receiver_treats_a_reused_id_after_puback_as_new()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub", V311);
        await sub.SubscribeAsync("t", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub", V311);
        for (int i = 0; i < 2; i++)
        {
            await client.SendAsync(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text($"{i}"), QoS = QoS1, PacketId = 1, Duplicate = i == 1 });
            await client.ExpectAsync(PacketType.PubAck);
        }
        Assert.Equal("0", (await sub.ExpectPublishPacketAsync()).PayloadText);
        Assert.Equal("1", (await sub.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT311_4_3_3_2_qos2_receiver_repeats_pubrec_and_does_not_deliver_twice()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub", V311);
        await sub.SubscribeAsync("t", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub", V311);
        var publish = new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text("once"), QoS = QoS2, PacketId = 8 };
        await client.SendAsync(publish);
        await client.ExpectAsync(PacketType.PubRec);
        await client.SendAsync(publish with { Duplicate = true });
        await client.ExpectAsync(PacketType.PubRec);
        await client.SendAckAsync(PacketType.PubRel, 8);
        await client.ExpectAsync(PacketType.PubComp);
        // After PUBCOMP the id is new again.
        await client.SendAsync(publish with { Payload = Wire.Text("twice") });
        await client.ExpectAsync(PacketType.PubRec);
        Assert.Equal("once", (await sub.ExpectPublishPacketAsync()).PayloadText);
        Assert.Equal("twice", (await sub.ExpectPublishPacketAsync()).PayloadText);
        await sub.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_4_3_3_1_server_qos2_sender_flow_and_4_4_0_1_resends_with_original_ids()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.OpenAsync(V311);
        await sub.ConnectAsync("sub", cleanStart: false);
        await sub.SubscribeAsync("t", QoS2);
        await using RawClient client = await broker.ConnectAsync("pub", V311);
        await client.PublishAsync("t", "a", QoS2);
        await client.PublishAsync("t", "b", QoS1);
        PublishPacket a = await sub.ExpectPublishAsync();
        PublishPacket b = await sub.ExpectPublishAsync();
        Assert.Equal(QoS2, a.QoS);
        Assert.False(a.Duplicate);
        await sub.SendAckAsync(PacketType.PubRec, a.PacketId);
        ReceivedPacket rel = await sub.ExpectAsync(PacketType.PubRel);
        Assert.Equal(0b0010, rel.Flags);
        Assert.Equal(a.PacketId, rel.PubRel.PacketId);
        sub.Drop();
        await broker.WaitForOpenConnectionsAsync(1);
        await using RawClient resumed = await broker.OpenAsync(V311);
        Assert.True((await resumed.ConnectAsync("sub", cleanStart: false)).SessionPresent);
        // [MQTT-3.3.1-1] the unacknowledged PUBLISH again with DUP; the released one only as PUBREL.
        var seen = new List<ReceivedPacket> { (await resumed.ReadAsync())!, (await resumed.ReadAsync())! };
        ReceivedPacket relAgain = seen.Single(p => p.Type == PacketType.PubRel);
        Assert.Equal(a.PacketId, relAgain.PubRel.PacketId);
        PublishPacket bAgain = seen.Single(p => p.Type == PacketType.Publish).Publish;
        Assert.Equal(b.PacketId, bAgain.PacketId);
        Assert.True(bAgain.Duplicate);
        await resumed.SendAckAsync(PacketType.PubComp, a.PacketId);
        await resumed.SendAckAsync(PacketType.PubAck, b.PacketId);
        await resumed.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_3_1_3_outgoing_dup_is_not_copied_from_the_incoming_publish()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub", V311);
        await sub.SubscribeAsync("t", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub", V311);
        await client.PublishAsync("t", "d", QoS1, duplicate: true);
        Assert.False((await sub.ExpectPublishAsync()).Duplicate);
    }

    [Fact]
    public async Task MQTT311_3_3_1_4_publish_with_qos_3_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new byte[] { 0x36, 0x05, 0x00, 0x01, (byte)'t', 0x00, 0x01 });
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_3_2_2_topic_name_with_a_wildcard_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new byte[] { 0x30, 0x04, 0x00, 0x02, (byte)'a', (byte)'+' });
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_3_2_3_delivered_topic_matches_the_filter()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub", V311);
        await sub.SubscribeAsync("a/+/c", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub", V311);
        await client.PublishAsync("a/b/c");
        await client.PublishAsync("a/b/d");
        await client.SyncAsync();
        Assert.Equal("a/b/c", (await sub.ExpectPublishPacketAsync()).Topic);
        await sub.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_3_5_1_overlapping_subscriptions_deliver_at_the_highest_qos()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub", V311);
        await sub.SubscribeAsync("a/#", QoS1);
        await sub.SubscribeAsync("a/b", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub", V311);
        await client.PublishAsync("a/b", "x", QoS2);
        Assert.Equal(QoS1, (await sub.ExpectPublishAsync()).QoS);
    }

    [Fact]
    public async Task MQTT311_3_3_5_2_unauthorised_publish_is_acknowledged_normally_and_dropped()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = new PermissiveAuthorizer());
        await using RawClient sub = await broker.ConnectAsync("sub", V311);
        await sub.SubscribeAsync("#", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub", V311);
        Assert.Equal(ReasonCode.Success, await client.PublishAsync("deny/x", "no", QoS1));
        Assert.Equal(ReasonCode.Success, await client.PublishAsync("deny/y", "no", QoS2));
        await sub.ExpectNothingPendingAsync();
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_8_4_6_delivered_qos_is_the_minimum_of_published_and_granted()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub", V311);
        await sub.SubscribeAsync("t", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub", V311);
        await client.PublishAsync("t", "2", QoS2);
        await client.PublishAsync("t", "0", QoS0);
        Assert.Equal(QoS1, (await sub.ExpectPublishAsync()).QoS);
        Assert.Equal(QoS0, (await sub.ExpectPublishAsync()).QoS);
    }

    [Fact]
    public async Task MQTT311_4_5_0_1_accepted_message_reaches_every_matching_client()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient a = await broker.ConnectAsync("a", V311);
        await using RawClient b = await broker.ConnectAsync("b", V311);
        await using RawClient c = await broker.ConnectAsync("c", V5);
        await a.SubscribeAsync("x/#", QoS0);
        await b.SubscribeAsync("x/y", QoS1);
        await c.SubscribeAsync("+/y", QoS2);
        await using RawClient client = await broker.ConnectAsync("pub", V311);
        await client.PublishAsync("x/y", "fan", QoS1);
        Assert.Equal("fan", (await a.ExpectPublishPacketAsync()).PayloadText);
        Assert.Equal("fan", (await b.ExpectPublishPacketAsync()).PayloadText);
        Assert.Equal("fan", (await c.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT311_4_6_0_6_messages_from_one_client_are_forwarded_in_order()
    {
        // [MQTT-4.6.0-5] no administrative setting: the topic is Ordered by default.
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub", V311);
        await sub.SubscribeAsync("t", QoS2);
        await using RawClient client = await broker.ConnectAsync("pub", V311);
        for (int i = 0; i < 30; i++)
        {
            await client.PublishAsync("t", $"{i}", (QualityOfService)(i % 3));
        }
        for (int i = 0; i < 30; i++)
        {
            ReceivedPacket p = await sub.ExpectPublishPacketAsync();
            Assert.Equal($"{i}", p.PayloadText);
            if (p.Publish.QoS == QoS1)
            {
                await sub.SendAckAsync(PacketType.PubAck, p.Publish.PacketId);
            }
            else if (p.Publish.QoS == QoS2)
            {
                await sub.SendAckAsync(PacketType.PubRec, p.Publish.PacketId);
                await sub.ReadUntilAsync(PacketType.PubRel);
                await sub.SendAckAsync(PacketType.PubComp, p.Publish.PacketId);
            }
        }
    }

    [Fact]
    public async Task MQTT311_3_6_1_1_pubrel_with_wrong_flags_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new byte[] { 0x60, 0x02, 0x00, 0x01 });
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_4_7_2_1_wildcards_at_the_first_level_do_not_match_dollar_topics()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = new PermissiveAuthorizer());
        await using RawClient sub = await broker.ConnectAsync("sub", V311);
        await sub.SubscribeAsync("#", QoS0);
        await sub.SubscribeAsync("+/x", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub", V311);
        await client.PublishAsync("$dollar/x");
        await client.PublishAsync("plain/x");
        await client.SyncAsync();
        Assert.Equal("plain/x", (await sub.ExpectPublishPacketAsync()).Topic);
        await sub.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_4_7_3_4_topic_matching_does_no_normalisation()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub", V311);
        await sub.SubscribeAsync("ACCENT/\u00c5", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub", V311);
        await client.PublishAsync("accent/\u00c5");
        await client.PublishAsync("ACCENT/A\u030a");
        await client.PublishAsync("ACCENT/\u00c5", "exact");
        await client.SyncAsync();
        Assert.Equal("exact", (await sub.ExpectPublishPacketAsync()).PayloadText);
        await sub.ExpectNothingPendingAsync();
    }
}
