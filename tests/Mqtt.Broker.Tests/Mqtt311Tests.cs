namespace Mqtt.Broker.Tests;

/// <summary>MQTT 3.1.1 server-side statements (sections 2-4 of the 3.1.1 Errata 01 text).</summary>
public sealed class Mqtt311ConnectTests
{
    [Fact]
    public async Task MQTT311_3_1_0_1_first_packet_must_be_connect()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync(V311);
        await client.SendAsync(Wire.Encode(new SubscribePacket { PacketId = 1, Subscriptions = SubscriptionList.Create(new Subscription(Wire.Text("t"), QoS0)) }, V311));
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_1_0_2_second_connect_disconnects_the_client()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendConnectAsync("c");
        // 3.1.1 has no DISCONNECT from the server: just the close.
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_1_2_1_wrong_protocol_name_is_not_processed_as_3_1_1()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync(V311);
        byte[] connect = Wire.Encode(Wire.Connect("c", V311));
        connect[4] = (byte)'W';
        await client.SendAsync(connect);
        ReceivedPacket? answer = await client.ReadAsync();
        if (answer is not null)
        {
            Assert.Equal(PacketType.ConnAck, answer.Type);
            Assert.NotEqual(0, answer.Body[1]);
            await client.ExpectClosedAsync();
        }
    }

    [Fact]
    public async Task MQTT311_3_1_2_2_unsupported_protocol_level_gets_return_code_1_and_close()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync(V311);
        byte[] connect = Wire.Encode(Wire.Connect("c", V311));
        connect[8] = 3;
        await client.SendAsync(connect);
        ReceivedPacket answer = await client.ExpectAsync(PacketType.ConnAck);
        Assert.Equal(new byte[] { 0, 1 }, answer.Body);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_1_2_3_reserved_connect_flag_closes_without_connack()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync(V311);
        byte[] connect = Wire.Encode(Wire.Connect("c", V311));
        connect[9] |= 1;
        await client.SendAsync(connect);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_1_2_22_password_without_user_name_closes_without_connack()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync(V311);
        await client.SendConnectAsync("c", password: "pw"u8.ToArray());
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_1_4_1_malformed_connect_closes_without_connack()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync(V311);
        byte[] connect = Wire.Encode(Wire.Connect("c", V311, will: Wire.Will("w", "x")));
        connect[9] |= 0x18; // [MQTT-3.1.2-14] Will QoS 3
        await client.SendAsync(connect);
        // [MQTT-3.2.2-6] no return code fits "malformed": no CONNACK at all.
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_1_2_4_clean_session_0_resumes_and_keeps_the_session()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient first = await broker.OpenAsync(V311))
        {
            Assert.False((await first.ConnectAsync("c", cleanStart: false)).SessionPresent);
            await first.SubscribeAsync("t", QoS1);
            await first.SendAsync(new DisconnectPacket());
            await first.ExpectClosedAsync();
        }
        await using RawClient second = await broker.OpenAsync(V311);
        // [MQTT-3.2.2-2] stored state: Session Present 1.
        Assert.True((await second.ConnectAsync("c", cleanStart: false)).SessionPresent);
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("t", "resumed", QoS1);
        Assert.Equal("resumed", (await second.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT311_3_1_2_5_messages_are_queued_for_an_offline_clean_session_0_client()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient first = await broker.OpenAsync(V311))
        {
            await first.ConnectAsync("c", cleanStart: false);
            await first.SubscribeAsync("t", QoS2);
            first.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("t", "q1", QoS1);
        await publisher.PublishAsync("t", "q2", QoS2);
        await publisher.PublishAsync("t", "q0", QoS0);
        await publisher.SyncAsync();
        await using RawClient second = await broker.OpenAsync(V311);
        await second.ConnectAsync("c", cleanStart: false);
        ReceivedPacket a = await second.ExpectPublishPacketAsync();
        Assert.Equal("q1", a.PayloadText);
        await second.SendAckAsync(PacketType.PubAck, a.Publish.PacketId);
        ReceivedPacket b = await second.ExpectPublishPacketAsync();
        Assert.Equal("q2", b.PayloadText);
        await second.SendAckAsync(PacketType.PubRec, b.Publish.PacketId);
        await second.ExpectAsync(PacketType.PubRel);
        await second.SendAckAsync(PacketType.PubComp, b.Publish.PacketId);
        await second.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_1_2_6_clean_session_1_discards_the_old_session_and_is_never_reused()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient first = await broker.OpenAsync(V311))
        {
            await first.ConnectAsync("c", cleanStart: false);
            await first.SubscribeAsync("t", QoS1);
            await first.SendAsync(new DisconnectPacket());
            await first.ExpectClosedAsync();
        }
        await using (RawClient clean = await broker.OpenAsync(V311))
        {
            // [MQTT-3.2.2-1] Session Present 0 with Clean Session 1.
            Assert.False((await clean.ConnectAsync("c", cleanStart: true)).SessionPresent);
            await clean.SubscribeAsync("u", QoS1);
            await clean.SendAsync(new DisconnectPacket());
            await clean.ExpectClosedAsync();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient again = await broker.OpenAsync(V311);
        // [MQTT-3.1.4-3] CleanSession processing dropped it; [MQTT-3.2.2-3] no stored state: Session Present 0.
        Assert.False((await again.ConnectAsync("c", cleanStart: false)).SessionPresent);
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("t", "old", QoS1);
        await publisher.PublishAsync("u", "clean", QoS1);
        await again.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_1_2_7_retained_messages_survive_the_end_of_a_session()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient publisher = await broker.ConnectAsync("p", V311))
        {
            await publisher.PublishAsync("r", "stays", QoS1, retain: true);
            await publisher.SendAsync(new DisconnectPacket());
            await publisher.ExpectClosedAsync();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SubscribeAsync("r", QoS0);
        Assert.Equal("stays", (await client.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT311_3_1_2_24_keep_alive_x1_5_silence_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("idle", V311, keepAlive: 1);
        await client.ExpectClosedAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task MQTT311_3_1_3_5_accepts_23_character_alphanumeric_client_ids()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync(V311);
        await client.ConnectAsync("ABCDEFGHIJ0123456789xyz");
    }

    [Fact]
    public async Task MQTT311_3_1_3_6_empty_client_id_with_clean_session_is_accepted()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient a = await broker.OpenAsync(V311);
        await using RawClient b = await broker.OpenAsync(V311);
        Assert.False((await a.ConnectAsync("", cleanStart: true)).SessionPresent);
        Assert.False((await b.ConnectAsync("", cleanStart: true)).SessionPresent);
        // Each got its own identity: neither took the other over.
        await a.ExpectNothingPendingAsync();
        await b.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_1_3_8_empty_client_id_with_clean_session_0_gets_return_code_2()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync(V311);
        await client.SendConnectAsync("", cleanStart: false);
        ReceivedPacket answer = await client.ExpectAsync(PacketType.ConnAck);
        // [MQTT-3.2.2-4] Session Present 0 with a non-zero return code; [MQTT-3.2.2-5] then the close.
        Assert.Equal(new byte[] { 0, 2 }, answer.Body);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_1_4_2_same_client_id_drops_the_older_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient old = await broker.ConnectAsync("same", V311);
        await using RawClient newer = await broker.ConnectAsync("same", V311);
        await old.ExpectClosedAsync();
        await newer.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_1_4_4_valid_connect_gets_connack_return_code_0()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync(V311);
        await client.SendConnectAsync("c");
        ReceivedPacket answer = await client.ExpectAsync(PacketType.ConnAck);
        // [MQTT-3.2.0-1] the first packet; the 3.1.1 form: two bytes, no properties.
        Assert.Equal(new byte[] { 0, 0 }, answer.Body);
    }

    [Fact]
    public async Task MQTT311_3_1_4_5_after_a_refused_connect_nothing_else_is_processed()
    {
        await using var broker = await TestBroker.StartAsync(o => o.AllowAnonymous = false);
        await using RawClient client = await broker.OpenAsync(V311);
        var bytes = new List<byte>();
        bytes.AddRange(Wire.Encode(Wire.Connect("anon", V311)));
        bytes.AddRange(new byte[] { 0xC0, 0x00 });
        await client.SendAsync(bytes.ToArray());
        ReceivedPacket answer = await client.ExpectAsync(PacketType.ConnAck);
        // [MQTT-3.2.2-4] [MQTT-3.2.2-5] return code 5 Not authorized, Session Present 0, then the close (no PINGRESP).
        Assert.Equal(new byte[] { 0, 5 }, answer.Body);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_2_2_4_bad_credentials_get_return_code_4_and_close()
    {
        await using var broker = await TestBroker.StartAsync(o => o.PasswordAuthenticator = new PasswordList());
        await using RawClient client = await broker.OpenAsync(V311);
        await client.SendConnectAsync("c", userName: "alice", password: "nope"u8.ToArray());
        ReceivedPacket answer = await client.ExpectAsync(PacketType.ConnAck);
        Assert.Equal(new byte[] { 0, 4 }, answer.Body);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_2_2_5_server_unavailable_gets_return_code_3_and_close()
    {
        await using var broker = await TestBroker.StartAsync(o => o.PasswordAuthenticator = new PasswordList { FailWith = ReasonCode.ServerUnavailable });
        await using RawClient client = await broker.OpenAsync(V311);
        await client.SendConnectAsync("c", userName: "bob", password: "x"u8.ToArray());
        Assert.Equal(new byte[] { 0, 3 }, (await client.ExpectAsync(PacketType.ConnAck)).Body);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_1_2_8_will_is_published_when_the_connection_closes_uncleanly()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher", V311);
        await watcher.SubscribeAsync("wills/#", QoS2);
        await using (RawClient client = await broker.OpenAsync(V311))
        {
            await client.ConnectAsync("dying", will: Wire.Will("wills/dying", "gone", QoS2));
            client.Drop();
        }
        ReceivedPacket will = await watcher.ExpectPublishPacketAsync();
        Assert.Equal("wills/dying", will.Topic);
        Assert.Equal("gone", will.PayloadText);
        Assert.Equal(QoS2, will.Publish.QoS);
    }

    [Fact]
    public async Task MQTT311_3_1_2_10_disconnect_removes_the_will_and_3_14_4_3_it_is_not_published()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher", V311);
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using (RawClient client = await broker.OpenAsync(V311))
        {
            await client.ConnectAsync("polite", will: Wire.Will("wills/polite", "gone"));
            await client.SendAsync(new DisconnectPacket());
            await client.ExpectClosedAsync();
        }
        await broker.WaitForOpenConnectionsAsync(1);
        await watcher.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_1_2_12_no_will_flag_publishes_nothing_when_the_connection_ends()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher", V311);
        await watcher.SubscribeAsync("#", QoS0);
        await using (RawClient client = await broker.ConnectAsync("nowill", V311))
        {
            client.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(1);
        await watcher.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_1_2_16_will_retain_0_is_published_non_retained()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient client = await broker.OpenAsync(V311))
        {
            await client.ConnectAsync("c", will: Wire.Will("wills/c", "plain"));
            client.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient late = await broker.ConnectAsync("late", V311);
        await late.SubscribeAsync("wills/#", QoS0);
        await late.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_1_2_17_will_retain_1_is_published_retained()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient client = await broker.OpenAsync(V311))
        {
            await client.ConnectAsync("c", will: Wire.Will("wills/c", "kept", QoS1, retain: true));
            client.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient late = await broker.ConnectAsync("late", V311);
        await late.SubscribeAsync("wills/#", QoS1);
        PublishPacket p = await late.ExpectPublishAsync();
        Assert.True(p.Retain);
        Assert.Equal("kept", MqttUtf8.GetString(p.Payload));
    }

    [Fact]
    public async Task MQTT311_3_14_1_1_disconnect_with_reserved_bits_closes()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher", V311);
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using RawClient client = await broker.OpenAsync(V311);
        await client.ConnectAsync("c", will: Wire.Will("wills/c", "bad-disconnect"));
        await client.SendAsync(new byte[] { 0xE2, 0x00 });
        await client.ExpectClosedAsync();
        // Not a valid DISCONNECT, so the Will stands.
        Assert.Equal("bad-disconnect", (await watcher.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT311_2_2_2_2_invalid_fixed_header_flags_close_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new byte[] { 0xC1, 0x00 });
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_4_8_0_1_auth_packet_is_a_protocol_violation_in_3_1_1()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new byte[] { 0xF0, 0x00 });
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_1_5_3_1_ill_formed_utf8_topic_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new byte[] { 0x30, 0x05, 0x00, 0x03, 0xED, 0xA0, 0x80 });
        await client.ExpectClosedAsync();
    }
}

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

public sealed class Mqtt311RetainTests
{
    [Fact]
    public async Task MQTT311_3_3_1_5_retained_message_is_stored_for_future_subscribers_and_3_3_1_6_sent_on_subscribe()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("r", "stored", QoS1, retain: true);
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SubscribeAsync("r", QoS1);
        PublishPacket p = await client.ExpectPublishAsync();
        Assert.Equal("stored", MqttUtf8.GetString(p.Payload));
        Assert.Equal(QoS1, p.QoS);
        // [MQTT-3.3.1-8] sent because of a new subscription: RETAIN 1.
        Assert.True(p.Retain);
    }

    [Fact]
    public async Task MQTT311_3_3_1_7_qos0_retained_message_replaces_the_previous_one()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("r", "old", QoS2, retain: true);
        await publisher.PublishAsync("r", "new", QoS0, retain: true);
        await publisher.SyncAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SubscribeAsync("r", QoS2);
        PublishPacket p = await client.ExpectPublishAsync();
        Assert.Equal("new", MqttUtf8.GetString(p.Payload));
        Assert.Equal(QoS0, p.QoS);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_3_1_9_established_subscription_gets_retain_0()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SubscribeAsync("r", QoS0);
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("r", "live", QoS1, retain: true);
        Assert.False((await client.ExpectPublishAsync()).Retain);
    }

    [Fact]
    public async Task MQTT311_3_3_1_10_empty_retained_message_is_delivered_and_deletes_the_retained_one()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("r", "old", QoS1, retain: true);
        await using RawClient live = await broker.ConnectAsync("live", V311);
        await live.SubscribeAsync("r", QoS0);
        await live.ExpectPublishAsync();
        await publisher.PublishAsync("r", "", QoS1, retain: true);
        Assert.True((await live.ExpectPublishAsync()).Payload.IsEmpty);
        // [MQTT-3.3.1-11] and nothing is stored.
        await using RawClient late = await broker.ConnectAsync("late", V311);
        await late.SubscribeAsync("r", QoS0);
        await late.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_3_1_11_empty_retained_message_is_never_stored()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("e", "", QoS1, retain: true);
        await using RawClient late = await broker.ConnectAsync("late", V311);
        await late.SubscribeAsync("#", QoS0);
        await late.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_3_1_12_non_retained_message_is_not_stored_and_leaves_the_retained_one()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("r", "retained", QoS1, retain: true);
        await publisher.PublishAsync("r", "plain", QoS1);
        await using RawClient late = await broker.ConnectAsync("late", V311);
        await late.SubscribeAsync("r", QoS0);
        Assert.Equal("retained", MqttUtf8.GetString((await late.ExpectPublishAsync()).Payload));
        await late.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_8_4_3_identical_filter_replaces_the_subscription_and_resends_retained()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("r", "retained", QoS1, retain: true);
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SubscribeAsync("r", QoS0);
        Assert.Equal(QoS0, (await client.ExpectPublishAsync()).QoS);
        await client.SubscribeAsync("r", QoS1);
        PublishPacket again = await client.ExpectPublishAsync();
        Assert.Equal(QoS1, again.QoS);
        Assert.True(again.Retain);
        await client.SendAckAsync(PacketType.PubAck, again.PacketId);
        await publisher.PublishAsync("r", "live", QoS1);
        Assert.Equal(QoS1, (await client.ExpectPublishAsync()).QoS);
        await client.ExpectNothingPendingAsync();
    }
}

public sealed class Mqtt311SubscribeTests
{
    [Fact]
    public async Task MQTT311_3_8_4_1_subscribe_gets_suback_with_3_8_4_2_the_same_id()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new SubscribePacket { PacketId = 515, Subscriptions = SubscriptionList.Create(new Subscription(Wire.Text("t"), QoS2)) });
        ReceivedPacket ack = await client.ExpectAsync(PacketType.SubAck);
        // [MQTT-2.3.1-7] same id; 3.1.1 SUBACK: id then one return code.
        Assert.Equal(new byte[] { 0x02, 0x03, 0x02 }, ack.Body);
    }

    [Fact]
    public async Task MQTT311_3_8_4_4_multi_filter_subscribe_gets_one_suback_with_3_9_3_1_codes_in_order()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = new PermissiveAuthorizer());
        await using RawClient client = await broker.ConnectAsync("c", V311);
        byte[] codes = await client.SubscribeAsync(
        [
            new Subscription(Wire.Text("a"), QoS1),
            new Subscription(Wire.Text("deny/b"), QoS1),
            new Subscription(Wire.Text("c/+"), QoS2),
            new Subscription(Wire.Text("d/#"), QoS0),
        ]);
        // [MQTT-3.8.4-5] granted QoS or failure; [MQTT-3.9.3-2] only 0x00, 0x01, 0x02 and 0x80.
        Assert.Equal(new byte[] { 1, 0x80, 2, 0 }, codes);
    }

    [Fact]
    public async Task MQTT311_3_8_3_4_requested_qos_3_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new byte[] { 0x82, 0x06, 0x00, 0x01, 0x00, 0x01, (byte)'t', 0x03 });
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_8_3_4_reserved_bits_in_requested_qos_close_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        // Bit 2 is No Local in MQTT 5 but reserved in 3.1.1.
        await client.SendAsync(new byte[] { 0x82, 0x06, 0x00, 0x01, 0x00, 0x01, (byte)'t', 0x04 });
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_8_3_3_subscribe_without_filters_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new byte[] { 0x82, 0x02, 0x00, 0x01 });
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_8_1_1_subscribe_with_wrong_flags_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new byte[] { 0x80, 0x06, 0x00, 0x01, 0x00, 0x01, (byte)'t', 0x00 });
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_10_1_1_unsubscribe_with_wrong_flags_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new byte[] { 0xA0, 0x05, 0x00, 0x01, 0x00, 0x01, (byte)'t' });
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_10_3_2_unsubscribe_without_filters_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new byte[] { 0xA2, 0x02, 0x00, 0x01 });
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT311_3_10_4_1_unsubscribe_compares_filters_literally()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SubscribeAsync("a/#", QoS0);
        await client.UnsubscribeAsync("a/b");
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("a/b", "still");
        Assert.Equal("still", (await client.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT311_3_10_4_2_after_unsubscribe_no_new_messages_are_queued()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SubscribeAsync("t", QoS1);
        await client.UnsubscribeAsync("t");
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("t", "late", QoS1);
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_10_4_3_qos1_delivery_already_started_is_completed()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync(V311);
        await client.ConnectAsync("c", cleanStart: false);
        await client.SubscribeAsync("t", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("t", "started", QoS1);
        PublishPacket p = await client.ExpectPublishAsync();
        await client.UnsubscribeAsync("t");
        client.Drop();
        await broker.WaitForOpenConnectionsAsync(1);
        // The delivery that had started is still owed after the unsubscribe.
        await using RawClient back = await broker.OpenAsync(V311);
        await back.ConnectAsync("c", cleanStart: false);
        PublishPacket again = await back.ExpectPublishAsync();
        Assert.Equal(p.PacketId, again.PacketId);
        Assert.True(again.Duplicate);
    }

    [Fact]
    public async Task MQTT311_3_10_4_4_unsuback_has_the_same_id_and_3_10_4_5_is_sent_when_nothing_was_deleted()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new UnsubscribePacket { PacketId = 700, TopicFilters = TopicFilterList.Create("none") });
        ReceivedPacket ack = await client.ExpectAsync(PacketType.UnsubAck);
        Assert.Equal(new byte[] { 0x02, 0xBC }, ack.Body);
    }

    [Fact]
    public async Task MQTT311_3_10_4_6_multi_filter_unsubscribe_gets_one_unsuback()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SubscribeAsync("a", QoS0);
        await client.SubscribeAsync("b", QoS0);
        await client.UnsubscribeAsync("a", "x", "b");
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("a");
        await publisher.PublishAsync("b");
        await publisher.SyncAsync();
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_3_12_4_1_pingreq_is_answered_with_pingresp()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.ExpectNothingPendingAsync();
    }
}
