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
    public async Task MQTT311_sec_2_2_3_a_connect_over_the_broker_packet_size_limit_is_closed_without_an_mqtt5_connack()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumPacketSize = 1024);
        await using RawClient client = await broker.OpenAsync(V311);
        byte[] connect = Wire.Encode(Wire.Connect(new string('c', 2000), V311));
        await client.SendAsync(connect);
        // 3.1.1 has no return code for it: no CONNACK at all, rather than MQTT 5's (which a 3.1.1 client cannot read).
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
