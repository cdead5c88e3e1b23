namespace Mqtt.Broker.Tests;

/// <summary>MQTT 5.0: Receive Maximum (4.9), Maximum Packet Size and Topic Aliases, both directions.</summary>
public sealed class Mqtt5FlowControlTests
{
    [Fact]
    public async Task MQTT5_3_3_4_9_server_honours_the_client_receive_maximum()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.OpenAsync();
        await sub.ConnectAsync("sub", properties: new MqttProperties { ReceiveMaximum = 2 });
        await sub.SubscribeAsync("t", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub");
        for (int i = 0; i < 5; i++)
        {
            await client.PublishAsync("t", $"m{i}", QoS1);
        }
        PublishPacket m0 = await sub.ExpectPublishAsync();
        PublishPacket m1 = await sub.ExpectPublishAsync();
        // [MQTT-4.9.0-2] quota spent: no third PUBLISH; [MQTT-3.3.4-10] [MQTT-4.9.0-3] a PINGREQ is still answered.
        await sub.ExpectNothingPendingAsync();
        await sub.SendAckAsync(PacketType.PubAck, m0.PacketId);
        Assert.Equal("m2", PublishText(await sub.ExpectPublishAsync()));
        await sub.ExpectNothingPendingAsync();
        await sub.SendAckAsync(PacketType.PubAck, m1.PacketId);
        Assert.Equal("m3", PublishText(await sub.ExpectPublishAsync()));
    }

    [Fact]
    public async Task MQTT5_4_9_0_1_receive_maximum_1_allows_exactly_one_in_flight()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.OpenAsync();
        await sub.ConnectAsync("sub", properties: new MqttProperties { ReceiveMaximum = 1 });
        await sub.SubscribeAsync("t", QoS2);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("t", "a", QoS2);
        await client.PublishAsync("t", "b", QoS2);
        PublishPacket a = await sub.ExpectPublishAsync();
        await sub.ExpectNothingPendingAsync();
        await sub.SendAckAsync(PacketType.PubRec, a.PacketId);
        await sub.ExpectAsync(PacketType.PubRel);
        // The quota comes back only with PUBCOMP.
        await sub.ExpectNothingPendingAsync();
        await sub.SendAckAsync(PacketType.PubComp, a.PacketId);
        Assert.Equal("b", PublishText(await sub.ExpectPublishAsync()));
    }

    [Fact]
    public async Task MQTT5_sec_3_3_4_client_exceeding_our_receive_maximum_gets_0x93()
    {
        await using var broker = await TestBroker.StartAsync(o => o.ReceiveMaximum = 2);
        await using RawClient client = await broker.OpenAsync();
        ConnAckPacket connAck = await client.ConnectAsync("greedy");
        Assert.Equal((ushort)2, connAck.Properties.ReceiveMaximum);
        for (ushort id = 1; id <= 3; id++)
        {
            await client.SendAsync(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text("p"), QoS = QoS2, PacketId = id });
        }
        await client.ExpectAsync(PacketType.PubRec);
        await client.ExpectAsync(PacketType.PubRec);
        await client.ExpectDisconnectAsync(ReasonCode.ReceiveMaximumExceeded);
    }

    /// <summary>
    /// A client that goes on sending after our DISCONNECT, and reads only later, still reads the DISCONNECT and why.
    /// Before the fix the broker closed at once with the client's bytes unread, the kernel answered them with RST,
    /// and the RST made the client's kernel throw away the DISCONNECT before the client read it (Paho's
    /// flow_control2 test saw a reset instead of 0x93).
    /// </summary>
    [Fact]
    public async Task A_client_still_sending_after_our_DISCONNECT_reads_it_and_not_a_reset()
    {
        // A linger longer than the 1 s default: on a loaded machine (a full test run beside other work) the waits below
        // once outlasted 1 s, and the reset that ends every linger arrived before the client read.
        await using var broker = await TestBroker.StartAsync(o => (o.ReceiveMaximum, o.Linger) = ((ushort)2, TimeSpan.FromSeconds(10)));
        await using RawClient client = await broker.OpenAsync();
        await client.ConnectAsync("greedy");
        for (ushort id = 1; id <= 3; id++)
        {
            await client.SendAsync(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text("p"), QoS = QoS2, PacketId = id });
        }
        // All within the broker's linger: a non-lingering broker closes within milliseconds and its reset arrives as
        // fast, so short waits are enough to catch it.
        await Task.Delay(150); // the broker answers and closes meanwhile; this client reads nothing yet
        bool reset = false;
        for (ushort id = 4; id <= 10 && !reset; id++)
        {
            try
            {
                await client.SendAsync(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text("p"), QoS = QoS2, PacketId = id });
                await Task.Delay(10); // one packet at a time: each may meet the closed socket on its own
            }
            catch (IOException)
            {
                reset = true;
            }
        }
        await Task.Delay(150); // time for a reset, if the broker sends one, to arrive before this client reads

        await client.ExpectAsync(PacketType.PubRec);
        await client.ExpectAsync(PacketType.PubRec);
        await client.ExpectDisconnectAsync(ReasonCode.ReceiveMaximumExceeded);
        await client.ExpectClosedAsync();
        Assert.False(reset, "the broker reset the connection while the client was sending");
    }

    /// <summary>
    /// The lingering close ends: a client that read our DISCONNECT and the end of stream but neither closes nor sends
    /// is reset after the linger. Some clients wait for more input after end of stream (Paho's test client spins on
    /// it); before the fix nothing ended that wait.
    /// </summary>
    [Fact]
    public async Task A_client_that_does_not_close_after_our_DISCONNECT_is_reset()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("lingering");
        await client.SendConnectAsync("lingering"); // [MQTT-3.1.0-2] a second CONNECT is a protocol error

        await client.ExpectDisconnectAsync(ReasonCode.ProtocolError);
        Assert.True(await client.ResetWithinAsync(TimeSpan.FromSeconds(10)), "the broker never reset the connection");
    }

    [Fact]
    public async Task MQTT5_sec_3_3_4_client_within_our_receive_maximum_is_fine()
    {
        await using var broker = await TestBroker.StartAsync(o => o.ReceiveMaximum = 2);
        await using RawClient client = await broker.ConnectAsync("polite");
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(ReasonCode.NoMatchingSubscribers, await client.PublishAsync("t", "p", QoS2));
        }
    }

    [Fact]
    public async Task MQTT5_3_1_2_24_server_never_sends_a_packet_above_the_client_maximum_packet_size()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.OpenAsync();
        await sub.ConnectAsync("small", properties: new MqttProperties { MaximumPacketSize = 128 });
        await sub.SubscribeAsync("t", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub");
        long droppedBefore = broker.Statistics.MessagesDropped;
        await client.PublishAsync("t", new string('x', 500));
        await client.PublishAsync("t", "fits");
        await client.SyncAsync();
        ReceivedPacket p = await sub.ExpectPublishPacketAsync();
        Assert.Equal("fits", p.PayloadText);
        Assert.True(p.Size <= 128);
        await sub.ExpectNothingPendingAsync();
        Assert.True(broker.Statistics.MessagesDropped > droppedBefore);
    }

    [Fact]
    public async Task MQTT5_3_1_2_25_oversized_qos1_message_is_dropped_as_if_delivered()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.OpenAsync();
        await sub.ConnectAsync("small", properties: new MqttProperties { MaximumPacketSize = 128, ReceiveMaximum = 1, SessionExpiryInterval = 60 });
        await sub.SubscribeAsync("t", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("t", new string('x', 500), QoS1);
        await client.PublishAsync("t", "fits", QoS1);
        // With a window of 1 the second arrives only if the first counted as delivered.
        PublishPacket p = await sub.ExpectPublishAsync();
        Assert.Equal("fits", PublishText(p));
        await sub.SendAckAsync(PacketType.PubAck, p.PacketId);
        sub.Drop();
        await broker.WaitForOpenConnectionsAsync(1);
        await using RawClient resumed = await broker.OpenAsync();
        await resumed.ConnectAsync("small", cleanStart: false, properties: new MqttProperties { MaximumPacketSize = 128, SessionExpiryInterval = 60 });
        await resumed.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_1_2_24_message_that_fits_by_name_but_not_with_a_new_topic_alias_goes_by_name()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.OpenAsync();
        await sub.ConnectAsync("sub", properties: new MqttProperties { MaximumPacketSize = 100, TopicAliasMaximum = 5 });
        await sub.SubscribeAsync("t/alias", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub");
        // By name: 1 + 1 + (2 + 7) + 2 + 1 + 86 = 100 bytes, the client's maximum; a new alias would add 3.
        string payload = new('x', 86);
        await client.PublishAsync("t/alias", payload, QoS1);

        ReceivedPacket received = await sub.ExpectPublishPacketAsync();
        Assert.Equal(100, received.Size);
        Assert.Equal("t/alias", received.Publish.TopicString);
        Assert.Null(received.Publish.Properties.TopicAlias);
        Assert.Equal(payload, PublishText(received.Publish));
    }

    [Fact]
    public async Task MQTT5_sec_3_2_2_3_6_packet_above_our_maximum_packet_size_gets_0x95()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumPacketSize = 1024);
        await using RawClient client = await broker.OpenAsync();
        ConnAckPacket connAck = await client.ConnectAsync("big");
        Assert.Equal(1024u, connAck.Properties.MaximumPacketSize);
        await client.PublishAsync("t", new string('x', 2000));
        await client.ExpectDisconnectAsync(ReasonCode.PacketTooLarge);
    }

    [Fact]
    public async Task MQTT5_3_1_2_27_no_topic_alias_towards_a_client_without_topic_alias_maximum()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("some/long/topic/name", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub");
        for (int i = 0; i < 3; i++)
        {
            await client.PublishAsync("some/long/topic/name", $"{i}");
        }
        for (int i = 0; i < 3; i++)
        {
            PublishPacket p = await sub.ExpectPublishAsync();
            Assert.Null(p.Properties.TopicAlias);
            Assert.Equal("some/long/topic/name", p.TopicString);
        }
    }

    [Fact]
    public async Task MQTT5_3_1_2_26_outgoing_topic_alias_never_above_the_client_topic_alias_maximum()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.OpenAsync();
        await sub.ConnectAsync("sub", properties: new MqttProperties { TopicAliasMaximum = 2 });
        await sub.SubscribeAsync("#", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub");
        string[] topics = ["a/1", "a/2", "a/3", "a/4", "a/1", "a/2", "a/3", "a/4"];
        foreach (string topic in topics)
        {
            await client.PublishAsync(topic, topic);
        }
        var aliases = new Dictionary<ushort, string>();
        int aliasOnly = 0;
        foreach (string topic in topics)
        {
            PublishPacket p = await sub.ExpectPublishAsync();
            // [MQTT-3.3.2-11] any alias is 1..2; resolve it as a client would.
            string name = p.TopicString;
            if (p.Properties.TopicAlias is ushort alias)
            {
                Assert.InRange(alias, (ushort)1, (ushort)2);
                if (name.Length > 0)
                {
                    aliases[alias] = name;
                }
                else
                {
                    name = aliases[alias];
                    aliasOnly++;
                }
            }
            Assert.Equal(topic, name);
            Assert.Equal(topic, PublishText(p));
        }
        // Two aliases, and the second round of the two aliased topics came as the alias alone.
        Assert.Equal(2, aliases.Count);
        Assert.Equal(2, aliasOnly);
    }

    [Fact]
    public async Task MQTT5_sec_3_3_2_3_4_outgoing_topic_aliases_are_bounded_by_the_broker_too()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.OpenAsync();
        await sub.ConnectAsync("sub", properties: new MqttProperties { TopicAliasMaximum = ushort.MaxValue });
        await sub.SubscribeAsync("#", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub");
        string longTopic = "long/" + new string('x', MqttConnection.MaximumAliasedTopicLength);
        await client.PublishAsync(longTopic, "long");
        Assert.Null((await sub.ExpectPublishAsync()).Properties.TopicAlias);
        int count = MqttConnection.MaximumOutboundAliases + 10;
        for (int i = 0; i < count; i++)
        {
            await client.PublishAsync($"t/{i}", "x");
        }
        var aliases = new HashSet<ushort>();
        for (int i = 0; i < count; i++)
        {
            PublishPacket p = await sub.ExpectPublishAsync();
            Assert.Equal($"t/{i}", p.TopicString);
            if (p.Properties.TopicAlias is ushort alias)
            {
                aliases.Add(alias);
            }
        }
        // Each topic is kept for the whole connection: a client's 65,535 would let it pin gigabytes of topics.
        Assert.Equal(MqttConnection.MaximumOutboundAliases, aliases.Count);
    }

    [Fact]
    public async Task MQTT5_3_3_4_9_a_resumed_session_resends_no_more_than_the_new_receive_maximum()
    {
        await using var broker = await TestBroker.StartAsync();
        var firstSent = new List<PublishPacket>();
        await using (RawClient first = await broker.OpenAsync())
        {
            await first.ConnectAsync("sub", properties: new MqttProperties { ReceiveMaximum = 10, SessionExpiryInterval = 60 });
            await first.SubscribeAsync("t", QoS1);
            await using RawClient publisher = await broker.ConnectAsync("pub");
            for (int i = 0; i < 10; i++)
            {
                await publisher.PublishAsync("t", $"{i}", QoS1);
            }
            for (int i = 0; i < 10; i++)
            {
                firstSent.Add(await first.ExpectPublishAsync());
            }
            first.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient resumed = await broker.OpenAsync();
        await resumed.ConnectAsync("sub", cleanStart: false, properties: new MqttProperties { ReceiveMaximum = 3, SessionExpiryInterval = 60 });
        var resent = new List<PublishPacket>();
        for (int i = 0; i < 3; i++)
        {
            resent.Add(await resumed.ExpectPublishAsync());
        }
        await resumed.ExpectNothingPendingAsync();
        Assert.All(resent, p => Assert.True(p.Duplicate));
        Assert.Equal(["0", "1", "2"], resent.Select(PublishText));
        // "5" arrived on the first connection: acknowledging it ends its flow but frees no room in the window.
        await resumed.SendAckAsync(PacketType.PubAck, firstSent[5].PacketId);
        await resumed.ExpectNothingPendingAsync();
        await resumed.SendAckAsync(PacketType.PubAck, resent[0].PacketId);
        Assert.Equal("3", PublishText(await resumed.ExpectPublishAsync()));
        await resumed.ExpectNothingPendingAsync();
        foreach (PublishPacket p in resent.Skip(1))
        {
            await resumed.SendAckAsync(PacketType.PubAck, p.PacketId);
        }
        Assert.Equal(["4", "6"], [PublishText(await resumed.ExpectPublishAsync()), PublishText(await resumed.ExpectPublishAsync())]);
    }

    [Fact]
    public async Task MQTT5_3_3_2_11_server_topic_alias_stands_for_the_name_after_first_use()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.OpenAsync();
        await sub.ConnectAsync("sub", properties: new MqttProperties { TopicAliasMaximum = 3 });
        await sub.SubscribeAsync("a/very/long/topic/name", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub");
        for (int i = 0; i < 3; i++)
        {
            await client.PublishAsync("a/very/long/topic/name", $"{i}", QoS1);
        }
        PublishPacket first = await sub.ExpectPublishAsync();
        Assert.Equal("a/very/long/topic/name", first.TopicString);
        ushort alias = first.Properties.TopicAlias!.Value;
        Assert.InRange(alias, (ushort)1, (ushort)3);
        for (int i = 1; i < 3; i++)
        {
            PublishPacket next = await sub.ExpectPublishAsync();
            Assert.True(next.Topic.IsEmpty);
            Assert.Equal(alias, next.Properties.TopicAlias);
            Assert.Equal($"{i}", PublishText(next));
        }
    }

    [Fact]
    public async Task MQTT5_3_3_2_7_outbound_topic_aliases_start_afresh_on_a_new_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        var properties = new MqttProperties { TopicAliasMaximum = 5, SessionExpiryInterval = 300 };
        await using (RawClient sub = await broker.OpenAsync())
        {
            await sub.ConnectAsync("sub", properties: properties);
            await sub.SubscribeAsync("t", QoS1);
            await using RawClient client = await broker.ConnectAsync("pub");
            await client.PublishAsync("t", "1", QoS1);
            PublishPacket p = await sub.ExpectPublishAsync();
            Assert.NotNull(p.Properties.TopicAlias);
            await sub.SendAckAsync(PacketType.PubAck, p.PacketId);
            await sub.SendAsync(new DisconnectPacket());
            await sub.ExpectClosedAsync();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient again = await broker.OpenAsync();
        await again.ConnectAsync("sub", cleanStart: false, properties: properties);
        await using RawClient publisher = await broker.ConnectAsync("pub2");
        await publisher.PublishAsync("t", "2", QoS1);
        PublishPacket resumed = await again.ExpectPublishAsync();
        // The new connection learns the alias anew: the name comes with it.
        Assert.Equal("t", resumed.TopicString);
        Assert.NotNull(resumed.Properties.TopicAlias);
    }

    [Fact]
    public async Task MQTT5_3_1_2_27_no_topic_alias_towards_a_311_subscriber()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub", V311);
        await sub.SubscribeAsync("t", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("t", "1");
        await client.PublishAsync("t", "2");
        Assert.Equal("t", (await sub.ExpectPublishPacketAsync()).Topic);
        Assert.Equal("t", (await sub.ExpectPublishPacketAsync()).Topic);
    }

    [Fact]
    public async Task MQTT5_3_3_2_12_server_accepts_every_topic_alias_up_to_its_maximum()
    {
        await using var broker = await TestBroker.StartAsync(o => o.TopicAliasMaximum = 10);
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("#", QoS0);
        await using RawClient client = await broker.OpenAsync();
        ConnAckPacket connAck = await client.ConnectAsync("pub");
        Assert.Equal((ushort)10, connAck.Properties.TopicAliasMaximum);
        for (ushort alias = 1; alias <= 10; alias++)
        {
            await client.PublishAsync($"topic/{alias}", "set", properties: new MqttProperties { TopicAlias = alias });
        }
        for (ushort alias = 10; alias >= 1; alias--)
        {
            await client.SendAsync(new PublishPacket { Payload = Wire.Text("use"), Properties = new MqttProperties { TopicAlias = alias } });
        }
        await client.SyncAsync();
        for (int i = 1; i <= 10; i++)
        {
            Assert.Equal($"topic/{i}", (await sub.ExpectPublishPacketAsync()).Topic);
        }
        for (int i = 10; i >= 1; i--)
        {
            ReceivedPacket p = await sub.ExpectPublishPacketAsync();
            Assert.Equal($"topic/{i}", p.Topic);
            Assert.Equal("use", p.PayloadText);
        }
    }

    [Fact]
    public async Task MQTT5_sec_3_3_2_3_4_topic_alias_above_our_maximum_gets_0x94()
    {
        await using var broker = await TestBroker.StartAsync(o => o.TopicAliasMaximum = 10);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("t", "p", properties: new MqttProperties { TopicAlias = 11 });
        await client.ExpectDisconnectAsync(ReasonCode.TopicAliasInvalid);
    }

    [Fact]
    public async Task MQTT5_3_3_2_8_topic_alias_0_gets_0x94_as_from_Mosquitto()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("pub");
        byte[] bytes = Wire.Encode(new PublishPacket { Topic = Wire.Text("t"), Payload = Wire.Text("p"), Properties = new MqttProperties { TopicAlias = 1 } }, V5);
        // [0x30][len][0 1 't'][props len 3][0x23 0x00 0x01]: make the alias 0.
        Assert.Equal(0x23, bytes[6]);
        bytes[8] = 0;
        await client.SendAsync(bytes);
        await client.ExpectDisconnectAsync(ReasonCode.TopicAliasInvalid);
    }

    [Fact]
    public async Task MQTT5_sec_3_3_2_3_4_unknown_topic_alias_without_a_topic_is_a_protocol_error()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.SendAsync(new PublishPacket { Payload = Wire.Text("p"), Properties = new MqttProperties { TopicAlias = 3 } });
        await client.ExpectDisconnectAsync(ReasonCode.ProtocolError);
    }

    [Fact]
    public async Task MQTT5_3_3_2_7_topic_aliases_do_not_carry_over_to_a_new_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient first = await broker.ConnectAsync("pub", properties: Persistent()))
        {
            await first.PublishAsync("t", "p", properties: new MqttProperties { TopicAlias = 1 });
            await first.SendAsync(new DisconnectPacket());
            await first.ExpectClosedAsync();
        }
        await using RawClient second = await broker.OpenAsync();
        Assert.True((await second.ConnectAsync("pub", cleanStart: false, properties: Persistent())).SessionPresent);
        await second.SendAsync(new PublishPacket { Payload = Wire.Text("p"), Properties = new MqttProperties { TopicAlias = 1 } });
        await second.ExpectDisconnectAsync(ReasonCode.ProtocolError);
    }

    [Fact]
    public async Task MQTT5_sec_3_3_2_3_4_a_topic_alias_can_be_remapped()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("#", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("first", "1", properties: new MqttProperties { TopicAlias = 1 });
        await client.PublishAsync("second", "2", properties: new MqttProperties { TopicAlias = 1 });
        await client.SendAsync(new PublishPacket { Payload = Wire.Text("3"), Properties = new MqttProperties { TopicAlias = 1 } });
        Assert.Equal("first", (await sub.ExpectPublishPacketAsync()).Topic);
        Assert.Equal("second", (await sub.ExpectPublishPacketAsync()).Topic);
        Assert.Equal("second", (await sub.ExpectPublishPacketAsync()).Topic);
    }

    private static string PublishText(PublishPacket p) => MqttUtf8.GetString(p.Payload);

    [Fact]
    public async Task MQTT5_3_1_2_24_a_packet_of_exactly_the_client_maximum_is_sent_one_byte_more_is_not()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.OpenAsync();
        await sub.ConnectAsync("edge", properties: new MqttProperties { MaximumPacketSize = 100 });
        await sub.SubscribeAsync("t", QoS0);
        await using RawClient client = await broker.ConnectAsync("pub");
        // PUBLISH "t" QoS 0 without properties: 2 (fixed header) + 3 (topic) + 1 (property length) + payload.
        await client.PublishAsync("t", new string('a', 94));
        await client.PublishAsync("t", new string('b', 95));
        await client.PublishAsync("t", "end");
        await client.SyncAsync();
        ReceivedPacket exact = await sub.ExpectPublishPacketAsync();
        Assert.Equal(100, exact.Size);
        Assert.Equal("end", (await sub.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_sec_3_2_2_3_6_a_packet_of_exactly_our_maximum_is_accepted_one_byte_more_gets_0x95()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumPacketSize = 1024);
        await using RawClient client = await broker.ConnectAsync("edge");
        // 1 + 2 (Remaining Length) + 3 (topic) + 1 (property length) + payload.
        Assert.Equal(ReasonCode.NoMatchingSubscribers, await client.PublishAsync("t", new string('a', 1015), QoS1));
        await client.PublishAsync("t", new string('b', 1018));
        await client.ExpectDisconnectAsync(ReasonCode.PacketTooLarge);
    }

    [Fact]
    public async Task MQTT5_sec_3_3_2_3_4_retained_message_published_by_alias_is_stored_under_its_name()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("status/device", "first", QoS1, retain: true, properties: new MqttProperties { TopicAlias = 4 });
        await client.SendAsync(new PublishPacket { Payload = Wire.Text("second"), Retain = true, Properties = new MqttProperties { TopicAlias = 4 } });
        await client.SyncAsync();
        await using RawClient late = await broker.ConnectAsync("late", V311);
        await late.SubscribeAsync("status/#", QoS0);
        ReceivedPacket p = await late.ExpectPublishPacketAsync();
        Assert.Equal("status/device", p.Topic);
        Assert.Equal("second", p.PayloadText);
    }
}
