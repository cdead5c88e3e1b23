namespace Mqtt.Broker.Tests;

/// <summary>MQTT 5.0 sections 3.1 and 3.2: CONNECT and CONNACK.</summary>
public sealed class Mqtt5ConnectTests
{
    [Fact]
    public async Task MQTT5_3_1_0_1_first_packet_must_be_connect()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        await client.SendPingAsync();
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT5_3_1_0_2_second_connect_is_a_protocol_error()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c1");
        await client.SendConnectAsync("c1");
        // [MQTT-3.2.0-2] no second CONNACK: a DISCONNECT 0x82 and the close.
        await client.ExpectDisconnectAsync(ReasonCode.ProtocolError);
    }

    [Fact]
    public async Task MQTT5_3_1_2_1_wrong_protocol_name_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        byte[] connect = Wire.Encode(Wire.Connect("c1", V5));
        connect[7] = (byte)'X'; // "MQTT" -> "MQTX"
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
    public async Task MQTT5_3_1_2_2_unsupported_protocol_version_gets_0x84_or_close()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        byte[] connect = Wire.Encode(Wire.Connect("c1", V5));
        connect[8] = 6;
        await client.SendAsync(connect);
        ReceivedPacket? answer = await client.ReadAsync();
        if (answer is not null)
        {
            Assert.Equal(PacketType.ConnAck, answer.Type);
            // Either an MQTT 5 CONNACK 0x84 or the 3.1.1 form with return code 1: both say "unsupported version".
            Assert.True(answer.Body[1] is 0x84 or 0x01, $"CONNACK code 0x{answer.Body[1]:X2}");
            await client.ExpectClosedAsync();
        }
    }

    [Fact]
    public async Task MQTT5_3_1_2_3_reserved_connect_flag_is_malformed()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        byte[] connect = Wire.Encode(Wire.Connect("c1", V5));
        connect[9] |= 1;
        await client.SendAsync(connect);
        ConnAckPacket connAck = await client.ExpectConnAckAsync(ReasonCode.MalformedPacket);
        Assert.False(connAck.SessionPresent);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT5_3_1_2_4_clean_start_discards_the_existing_session()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient first = await broker.ConnectAsync("c1", properties: Persistent()))
        {
            await first.SubscribeAsync("t", QoS1);
            await first.SendAsync(new DisconnectPacket());
            await first.ExpectClosedAsync();
        }
        await using RawClient second = await broker.OpenAsync();
        ConnAckPacket connAck = await second.ConnectAsync("c1", cleanStart: true, properties: Persistent());
        Assert.False(connAck.SessionPresent);
        await using RawClient publisher = await broker.ConnectAsync("pub");
        // [MQTT-3.1.4-4] Clean Start processing: the old subscription went with the old session, nobody matches.
        Assert.Equal(ReasonCode.NoMatchingSubscribers, await publisher.PublishAsync("t", qos: QoS1));
        await second.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_1_2_5_clean_start_0_resumes_the_existing_session()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient first = await broker.ConnectAsync("c1", properties: Persistent()))
        {
            await first.SubscribeAsync("t", QoS1);
            await first.SendAsync(new DisconnectPacket());
            await first.ExpectClosedAsync();
        }
        await using RawClient second = await broker.OpenAsync();
        ConnAckPacket connAck = await second.ConnectAsync("c1", cleanStart: false, properties: Persistent());
        Assert.True(connAck.SessionPresent);
        await using RawClient publisher = await broker.ConnectAsync("pub");
        Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("t", "kept", QoS1));
        Assert.Equal("kept", (await second.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_3_1_2_6_clean_start_0_without_a_session_creates_one()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient first = await broker.OpenAsync())
        {
            ConnAckPacket connAck = await first.ConnectAsync("fresh", cleanStart: false, properties: Persistent());
            Assert.False(connAck.SessionPresent);
            await first.SubscribeAsync("t");
            await first.SendAsync(new DisconnectPacket());
            await first.ExpectClosedAsync();
        }
        await using RawClient second = await broker.OpenAsync();
        Assert.True((await second.ConnectAsync("fresh", cleanStart: false, properties: Persistent())).SessionPresent);
    }

    [Fact]
    public async Task MQTT5_3_1_2_23_session_expiry_keeps_state_after_the_connection_closes()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient first = await broker.ConnectAsync("c1", properties: Persistent()))
        {
            await first.SubscribeAsync("t", QoS1);
            first.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient publisher = await broker.ConnectAsync("pub");
        // The offline session still holds the subscription, so the message has a subscriber.
        Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("t", "while-away", QoS1));
        await using RawClient second = await broker.OpenAsync();
        Assert.True((await second.ConnectAsync("c1", cleanStart: false, properties: Persistent())).SessionPresent);
        Assert.Equal("while-away", (await second.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_4_1_0_2_session_is_discarded_after_its_expiry_interval()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient first = await broker.ConnectAsync("c1", properties: Persistent(1)))
        {
            await first.SubscribeAsync("t", QoS1);
            first.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient publisher = await broker.ConnectAsync("pub");
        await Eventually.TrueAsync(() => broker.Broker.SessionCount == 1, "the expired session to be discarded", TimeSpan.FromSeconds(10));
        Assert.Equal(ReasonCode.NoMatchingSubscribers, await publisher.PublishAsync("t", qos: QoS1));
        await using RawClient second = await broker.OpenAsync();
        Assert.False((await second.ConnectAsync("c1", cleanStart: false, properties: Persistent())).SessionPresent);
    }

    [Fact]
    public async Task MQTT5_3_1_3_5_accepts_23_character_alphanumeric_client_ids()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("abcdefghijXYZ0123456789");
    }

    [Fact]
    public async Task MQTT5_3_1_3_6_empty_client_id_gets_a_unique_assigned_client_identifier()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient a = await broker.OpenAsync();
        await using RawClient b = await broker.OpenAsync();
        ConnAckPacket ackA = await a.ConnectAsync("");
        ConnAckPacket ackB = await b.ConnectAsync("");
        // [MQTT-3.1.3-7] [MQTT-3.2.2-16] the generated id comes back in CONNACK and is unused by any other session.
        Assert.NotNull(ackA.Properties.AssignedClientIdentifier);
        Assert.NotNull(ackB.Properties.AssignedClientIdentifier);
        string idA = MqttUtf8.GetString(ackA.Properties.AssignedClientIdentifier.Value);
        string idB = MqttUtf8.GetString(ackB.Properties.AssignedClientIdentifier.Value);
        Assert.NotEmpty(idA);
        Assert.NotEqual(idA, idB);
        // Both work side by side, so neither took the other's session over.
        await a.ExpectNothingPendingAsync();
        await b.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_1_3_7_assigned_client_identifier_names_the_session()
    {
        await using var broker = await TestBroker.StartAsync();
        string assigned;
        await using (RawClient first = await broker.OpenAsync())
        {
            ConnAckPacket ack = await first.ConnectAsync("", properties: Persistent());
            assigned = MqttUtf8.GetString(ack.Properties.AssignedClientIdentifier!.Value);
            await first.SubscribeAsync("t");
            await first.SendAsync(new DisconnectPacket());
            await first.ExpectClosedAsync();
        }
        await using RawClient second = await broker.OpenAsync();
        ConnAckPacket resumed = await second.ConnectAsync(assigned, cleanStart: false, properties: Persistent());
        Assert.True(resumed.SessionPresent);
        Assert.Null(resumed.Properties.AssignedClientIdentifier);
    }

    [Fact]
    public async Task MQTT5_3_1_3_2_client_id_locates_the_session_state()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient a = await broker.ConnectAsync("alpha", properties: Persistent()))
        {
            await a.SubscribeAsync("for/alpha", QoS1);
            await a.SendAsync(new DisconnectPacket());
            await a.ExpectClosedAsync();
        }
        await using RawClient b = await broker.OpenAsync();
        Assert.False((await b.ConnectAsync("beta", cleanStart: false, properties: Persistent())).SessionPresent);
        await using RawClient publisher = await broker.ConnectAsync("pub");
        await publisher.PublishAsync("for/alpha", "a", QoS1);
        await b.ExpectNothingPendingAsync();
        await using RawClient again = await broker.OpenAsync();
        Assert.True((await again.ConnectAsync("alpha", cleanStart: false, properties: Persistent())).SessionPresent);
        Assert.Equal("for/alpha", (await again.ExpectPublishPacketAsync()).Topic);
    }

    [Fact]
    public async Task MQTT5_3_1_4_3_existing_client_id_is_taken_over_with_0x8E()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient old = await broker.ConnectAsync("same");
        await using RawClient newer = await broker.ConnectAsync("same");
        DisconnectPacket disconnect = await old.ExpectDisconnectAsync(ReasonCode.SessionTakenOver);
        // [MQTT-3.14.2-2] a server's DISCONNECT never carries a Session Expiry Interval.
        Assert.Null(disconnect.Properties.SessionExpiryInterval);
        await newer.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_1_4_3_takeover_keeps_the_session_for_clean_start_0()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient old = await broker.ConnectAsync("same", properties: Persistent());
        await old.SubscribeAsync("t", QoS1);
        await using RawClient newer = await broker.OpenAsync();
        Assert.True((await newer.ConnectAsync("same", cleanStart: false, properties: Persistent())).SessionPresent);
        await old.ExpectDisconnectAsync(ReasonCode.SessionTakenOver);
        await using RawClient publisher = await broker.ConnectAsync("pub");
        await publisher.PublishAsync("t", "to-new", QoS1);
        Assert.Equal("to-new", (await newer.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_3_1_4_5_accepted_connect_gets_connack_0x00()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        await client.SendConnectAsync("ok");
        ReceivedPacket answer = await client.ExpectAsync(PacketType.ConnAck);
        // [MQTT-3.2.2-1] acknowledge flags bits 7-1 are reserved and 0.
        Assert.Equal(0, answer.Body[0] & 0xFE);
        ConnAckPacket connAck = answer.ConnAck;
        Assert.Equal(ReasonCode.Success, connAck.ReasonCode);
        // [MQTT-4.12.0-6] no Authentication Method asked, none given.
        Assert.Null(connAck.Properties.AuthenticationMethod);
    }

    [Fact]
    public async Task MQTT5_3_2_0_1_connack_is_the_first_packet_even_when_the_client_pipelines()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        var bytes = new List<byte>();
        bytes.AddRange(Wire.Encode(Wire.Connect("pipelined", V5)));
        bytes.AddRange(Wire.Encode(new SubscribePacket { PacketId = 1, Subscriptions = SubscriptionList.Create(new Subscription(Wire.Text("t"), QoS0)) }, V5));
        bytes.AddRange(new byte[] { 0xC0, 0x00 });
        await client.SendAsync(bytes.ToArray());
        await client.ExpectConnAckAsync(ReasonCode.Success);
        Assert.Equal(1, (await client.ExpectAsync(PacketType.SubAck)).SubAck.PacketId);
        await client.ExpectAsync(PacketType.PingResp);
    }

    [Fact]
    public async Task MQTT5_3_2_2_2_clean_start_1_gives_session_present_0()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient first = await broker.ConnectAsync("c1", properties: Persistent()))
        {
            await first.SendAsync(new DisconnectPacket());
            await first.ExpectClosedAsync();
        }
        await using RawClient second = await broker.OpenAsync();
        ConnAckPacket connAck = await second.ConnectAsync("c1", cleanStart: true, properties: Persistent());
        Assert.False(connAck.SessionPresent);
        Assert.Equal(ReasonCode.Success, connAck.ReasonCode);
    }

    [Fact]
    public async Task MQTT5_3_2_2_3_session_present_only_when_state_exists()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient first = await broker.OpenAsync())
        {
            Assert.False((await first.ConnectAsync("c1", cleanStart: false, properties: Persistent())).SessionPresent);
            await first.SendAsync(new DisconnectPacket());
            await first.ExpectClosedAsync();
        }
        await using RawClient second = await broker.OpenAsync();
        Assert.True((await second.ConnectAsync("c1", cleanStart: false, properties: Persistent())).SessionPresent);
    }

    [Fact]
    public async Task MQTT5_3_2_2_3_session_with_expiry_0_is_gone_after_close()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient first = await broker.ConnectAsync("c1", cleanStart: false))
        {
            await first.SubscribeAsync("t");
            await first.SendAsync(new DisconnectPacket());
            await first.ExpectClosedAsync();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient second = await broker.OpenAsync();
        Assert.False((await second.ConnectAsync("c1", cleanStart: false)).SessionPresent);
    }

    [Fact]
    public async Task MQTT5_3_2_2_6_refused_connack_has_session_present_0_and_3_2_2_7_closes()
    {
        await using var broker = await TestBroker.StartAsync(o => o.PasswordAuthenticator = new PasswordList());
        await using (RawClient first = await broker.OpenAsync())
        {
            await first.ConnectAsync("c1", properties: Persistent(), userName: "alice", password: "secret"u8.ToArray());
            await first.SendAsync(new DisconnectPacket());
            await first.ExpectClosedAsync();
        }
        await using RawClient second = await broker.OpenAsync();
        await second.SendConnectAsync("c1", cleanStart: false, properties: Persistent(), userName: "alice", password: "wrong"u8.ToArray());
        ConnAckPacket connAck = await second.ExpectConnAckAsync(ReasonCode.BadUserNameOrPassword);
        Assert.False(connAck.SessionPresent);
        await second.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT5_3_2_2_8_connack_carries_only_connect_reason_codes()
    {
        // An authenticator failing with a code CONNACK may not carry (0x8D Keep Alive timeout).
        await using var broker = await TestBroker.StartAsync(o => o.PasswordAuthenticator = new PasswordList { FailWith = ReasonCode.KeepAliveTimeout });
        await using RawClient client = await broker.OpenAsync();
        await client.SendConnectAsync("c1", userName: "bob", password: "x"u8.ToArray());
        ReceivedPacket answer = await client.ExpectAsync(PacketType.ConnAck);
        // The codec's CONNACK reader rejects codes outside the CONNACK table.
        Assert.True(ReasonCodes.IsValidFor(PacketType.ConnAck, answer.ConnAck.ReasonCode));
        Assert.True(answer.ConnAck.ReasonCode >= ReasonCode.UnspecifiedError);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT5_3_1_4_2_failed_authentication_closes_the_connection()
    {
        await using var broker = await TestBroker.StartAsync(o => o.PasswordAuthenticator = new PasswordList());
        await using RawClient client = await broker.OpenAsync();
        await client.SendConnectAsync("c1", userName: "mallory", password: "guess"u8.ToArray());
        await client.ExpectConnAckAsync(ReasonCode.BadUserNameOrPassword);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT5_3_1_4_6_after_a_refused_connect_later_packets_are_ignored()
    {
        await using var broker = await TestBroker.StartAsync(o => o.PasswordAuthenticator = new PasswordList());
        await using RawClient subscriber = await broker.OpenAsync();
        await subscriber.ConnectAsync("sub", userName: "alice", password: "secret"u8.ToArray());
        await subscriber.SubscribeAsync("t");
        await using RawClient intruder = await broker.OpenAsync();
        var bytes = new List<byte>();
        bytes.AddRange(Wire.Encode(Wire.Connect("intruder", V5, userName: "mallory", password: "guess"u8.ToArray())));
        bytes.AddRange(Wire.Encode(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text("sneaky") }, V5));
        await intruder.SendAsync(bytes.ToArray());
        await intruder.ExpectConnAckAsync(ReasonCode.BadUserNameOrPassword);
        await intruder.ExpectClosedAsync();
        await broker.WaitForOpenConnectionsAsync(1);
        await subscriber.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_1_4_2_anonymous_connect_without_allow_anonymous_gets_0x87()
    {
        await using var broker = await TestBroker.StartAsync(o => o.AllowAnonymous = false);
        await using RawClient client = await broker.OpenAsync();
        await client.SendConnectAsync("anon");
        await client.ExpectConnAckAsync(ReasonCode.NotAuthorized);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task MQTT5_3_1_2_28_no_response_information_when_not_requested()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        ConnAckPacket connAck = await client.ConnectAsync("c1", properties: new MqttProperties { RequestResponseInformation = false });
        Assert.Null(connAck.Properties.ResponseInformation);
    }

    [Fact]
    public async Task MQTT5_3_1_2_29_no_reason_string_or_user_property_when_problem_information_is_refused()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = new PermissiveAuthorizer());
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("c1", properties: new MqttProperties { RequestProblemInformation = false });
        await client.SendAsync(new PublishPacket { Topic = Wire.Text("deny/x"), Payload = Wire.Text("p"), QoS = QoS1, PacketId = 5 });
        PubAckPacket ack = (await client.ExpectAsync(PacketType.PubAck)).PubAck;
        Assert.Equal(ReasonCode.NotAuthorized, ack.ReasonCode);
        Assert.Null(ack.Properties.ReasonString);
        Assert.Equal(0, ack.Properties.UserProperties.Count);
        byte[] codes = await client.SubscribeAsync("deny/#");
        Assert.Equal(new[] { (byte)ReasonCode.NotAuthorized }, codes);
    }

    [Fact]
    public async Task MQTT5_3_2_2_22_client_keep_alive_is_enforced_when_no_server_keep_alive_is_sent()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        ConnAckPacket connAck = await client.ConnectAsync("idle", keepAlive: 1);
        Assert.Null(connAck.Properties.ServerKeepAlive);
        // [MQTT-3.1.2-22] silence for 1.5 x Keep Alive closes the connection; MQTT 5 says why first.
        await client.ExpectDisconnectAsync(ReasonCode.KeepAliveTimeout, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task MQTT5_3_1_2_22_a_client_that_keeps_talking_stays_connected()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("chatty", keepAlive: 2);
        for (int i = 0; i < 8; i++)
        {
            await Task.Delay(500);
            await client.ExpectNothingPendingAsync();
        }
    }

    [Fact]
    public async Task MQTT5_sec_3_2_2_3_14_server_keep_alive_is_returned_and_enforced()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumKeepAlive = 1);
        await using RawClient client = await broker.OpenAsync();
        ConnAckPacket connAck = await client.ConnectAsync("capped", keepAlive: 600);
        Assert.Equal((ushort)1, connAck.Properties.ServerKeepAlive);
        await client.ExpectDisconnectAsync(ReasonCode.KeepAliveTimeout, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task MQTT5_sec_3_2_2_3_14_keep_alive_0_is_capped_by_the_server_keep_alive()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumKeepAlive = 1);
        await using RawClient client = await broker.OpenAsync();
        ConnAckPacket connAck = await client.ConnectAsync("forever", keepAlive: 0);
        Assert.Equal((ushort)1, connAck.Properties.ServerKeepAlive);
        await client.ExpectDisconnectAsync(ReasonCode.KeepAliveTimeout, TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(61)]
    public async Task MQTT311_sec_3_1_2_10_keep_alive_over_the_servers_maximum_is_refused_with_return_code_2(ushort keepAlive)
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumKeepAlive = 60);
        await using RawClient refused = await broker.OpenAsync(V311);
        await refused.SendConnectAsync("too-long", keepAlive: keepAlive);
        await refused.ExpectConnAckAsync(ReasonCode.ClientIdentifierNotValid);
        await refused.ExpectClosedAsync();
        await using RawClient within = await broker.ConnectAsync("within", V311, keepAlive: 60);
        await within.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_sec_3_1_4_connect_not_finished_within_the_connect_timeout_is_closed()
    {
        await using var broker = await TestBroker.StartAsync(o => o.ConnectTimeout = TimeSpan.FromSeconds(1));
        await using RawClient slowloris = await broker.OpenAsync();
        byte[] connect = Wire.Encode(Wire.Connect("slow", V5));
        await slowloris.SendAsync(connect.AsMemory(0, 5));
        await slowloris.ExpectClosedAsync(TimeSpan.FromSeconds(10));
        await using RawClient silent = await broker.OpenAsync();
        await silent.ExpectClosedAsync(TimeSpan.FromSeconds(10));
        await using RawClient good = await broker.ConnectAsync("good");
        await good.ExpectNothingPendingAsync();
    }

    /// <summary>
    /// Stopping waits for the lingering closes: a client that neither reads nor closes is reset after the linger, and
    /// only then does StopAsync return. Before, it returned with connections still open (their Wills and sessions
    /// settled later, or never when the process exited at once).
    /// </summary>
    [Fact]
    public async Task Stopping_returns_once_every_connection_has_ended()
    {
        var broker = await TestBroker.StartAsync();
        await using RawClient lingering = await broker.ConnectAsync("lingering");
        await using RawClient other = await broker.ConnectAsync("other");

        await broker.Broker.StopAsync();

        Assert.Equal(0, broker.Statistics.ConnectionsOpen);
        await lingering.ExpectDisconnectAsync(ReasonCode.ServerShuttingDown);
    }

    [Fact]
    public async Task MQTT5_sec_3_14_server_shutdown_sends_0x8B()
    {
        var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c1");
        await broker.DisposeAsync();
        await client.ExpectDisconnectAsync(ReasonCode.ServerShuttingDown);
    }
}
