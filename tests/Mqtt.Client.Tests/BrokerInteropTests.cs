using Mqtt.Codec;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>The client against real brokers: ours and the MQTTnet 5 server (in-process), and Mosquitto (started per test).</summary>
public sealed class BrokerInteropTests
{
    public static TheoryData<string, ProtocolVersion, QualityOfService> BrokersVersionsQoS()
    {
        var data = new TheoryData<string, ProtocolVersion, QualityOfService>();
        foreach (string broker in Brokers.All)
        {
            foreach (ProtocolVersion version in new[] { ProtocolVersion.V500, ProtocolVersion.V311 })
            {
                foreach (QualityOfService qos in new[] { QualityOfService.AtMostOnce, QualityOfService.AtLeastOnce, QualityOfService.ExactlyOnce })
                {
                    data.Add(broker, version, qos);
                }
            }
        }
        return data;
    }

    public static TheoryData<string, ProtocolVersion> BrokersVersions()
    {
        var data = new TheoryData<string, ProtocolVersion>();
        foreach (string broker in Brokers.All)
        {
            data.Add(broker, ProtocolVersion.V500);
            data.Add(broker, ProtocolVersion.V311);
        }
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(BrokersVersionsQoS))]
    public async Task Publish_is_delivered_at_the_asked_QoS(string brokerName, ProtocolVersion version, QualityOfService qos)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using MqttClient subscriber = await ConnectAsync(broker.Port, version);
        await using MqttClient publisher = await ConnectAsync(broker.Port, version);
        MqttSubscribeResult subscribed = await subscriber.SubscribeAsync("qos/test", qos);
        Assert.Equal((ReasonCode)(byte)qos, Assert.Single(subscribed.ReasonCodes));

        for (int i = 0; i < 20; i++)
        {
            MqttPublishResult result = await publisher.PublishAsync("qos/test", Bytes($"m{i}"), qos);
            Assert.True(result.IsSuccess, result.ReasonCode.ToString());
            Assert.Equal(qos == QualityOfService.AtMostOnce, result.PacketId == 0);
        }

        List<MqttApplicationMessage> received = await subscriber.ReceiveAsync(20);
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal("qos/test", received[i].Topic);
            Assert.Equal($"m{i}", Text(received[i]));
            Assert.Equal(qos, received[i].QoS);
        }
        await publisher.DisconnectAsync();
        await subscriber.DisconnectAsync();
    }

    [SkippableTheory]
    [MemberData(nameof(BrokersVersions))]
    public async Task Retained_message_reaches_a_later_subscriber(string brokerName, ProtocolVersion version)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using MqttClient publisher = await ConnectAsync(broker.Port, version);
        await publisher.PublishAsync("retained/state", Bytes("on"), QualityOfService.AtLeastOnce, retain: true);

        await using MqttClient subscriber = await ConnectAsync(broker.Port, version);
        await subscriber.SubscribeAsync("retained/+", QualityOfService.AtLeastOnce);
        MqttApplicationMessage message = (await subscriber.ReceiveAsync(1))[0];
        Assert.Equal("retained/state", message.Topic);
        Assert.Equal("on", Text(message));
        Assert.True(message.Retain);
    }

    [SkippableTheory]
    [MemberData(nameof(BrokersVersions))]
    public async Task Wildcards_match_single_and_multiple_levels(string brokerName, ProtocolVersion version)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using MqttClient subscriber = await ConnectAsync(broker.Port, version);
        MqttSubscribeResult subscribed = await subscriber.SubscribeAsync(
            [new MqttTopicFilter("home/+/temperature", QualityOfService.AtLeastOnce), new MqttTopicFilter("logs/#", QualityOfService.AtLeastOnce)]);
        Assert.Equal([ReasonCode.GrantedQoS1, ReasonCode.GrantedQoS1], subscribed.ReasonCodes);
        await using MqttClient publisher = await ConnectAsync(broker.Port, version);

        await publisher.PublishAsync("home/kitchen/temperature", Bytes("21"), QualityOfService.AtLeastOnce);
        await publisher.PublishAsync("home/kitchen/humidity", Bytes("no"), QualityOfService.AtLeastOnce);
        await publisher.PublishAsync("home/a/b/temperature", Bytes("no"), QualityOfService.AtLeastOnce);
        await publisher.PublishAsync("logs", Bytes("parent"), QualityOfService.AtLeastOnce);
        await publisher.PublishAsync("logs/app/error", Bytes("deep"), QualityOfService.AtLeastOnce);

        List<MqttApplicationMessage> received = await subscriber.ReceiveAsync(3);
        Assert.Equal(["home/kitchen/temperature", "logs", "logs/app/error"], received.Select(m => m.Topic).ToArray());
        await subscriber.AssertNothingReceivedAsync(TimeSpan.FromMilliseconds(300));
    }

    [SkippableTheory]
    [MemberData(nameof(BrokersVersions))]
    public async Task Will_is_published_when_the_connection_drops_uncleanly(string brokerName, ProtocolVersion version)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using MqttClient watcher = await ConnectAsync(broker.Port, version);
        await watcher.SubscribeAsync("status/#", QualityOfService.AtLeastOnce);

        MqttClient dying = await ConnectAsync(broker.Port, version, o => o.Will = new MqttWill
        {
            Topic = "status/dying",
            Payload = Bytes("gone"),
            QoS = QualityOfService.AtLeastOnce,
        });
        await dying.DisposeAsync(); // no DISCONNECT: an unclean end

        MqttApplicationMessage will = (await watcher.ReceiveAsync(1))[0];
        Assert.Equal("status/dying", will.Topic);
        Assert.Equal("gone", Text(will));
    }

    [SkippableTheory]
    [MemberData(nameof(BrokersVersions))]
    public async Task Will_is_not_published_after_a_normal_disconnect(string brokerName, ProtocolVersion version)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using MqttClient watcher = await ConnectAsync(broker.Port, version);
        await watcher.SubscribeAsync("status/#", QualityOfService.AtLeastOnce);
        MqttClient leaving = await ConnectAsync(broker.Port, version, o => o.Will = new MqttWill { Topic = "status/leaving", Payload = Bytes("x") });
        await leaving.DisconnectAsync();
        await leaving.DisposeAsync();
        await watcher.AssertNothingReceivedAsync(TimeSpan.FromMilliseconds(500));
    }

    public static TheoryData<string, ProtocolVersion, QualityOfService> BrokersVersionsAcknowledgedQoS()
    {
        var data = new TheoryData<string, ProtocolVersion, QualityOfService>();
        foreach (string broker in Brokers.All)
        {
            foreach (ProtocolVersion version in new[] { ProtocolVersion.V500, ProtocolVersion.V311 })
            {
                data.Add(broker, version, QualityOfService.AtLeastOnce);
                data.Add(broker, version, QualityOfService.ExactlyOnce);
            }
        }
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(BrokersVersionsAcknowledgedQoS))]
    public async Task Persistent_session_receives_messages_queued_while_offline(string brokerName, ProtocolVersion version, QualityOfService qos)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        MqttClientOptions options = Options(broker.Port, version, clientId: "persistent-" + brokerName);
        options.CleanStart = false;
        options.SessionExpiryInterval = 300;
        await using (var first = new MqttClient(options))
        {
            await first.ConnectAsync();
            await first.SubscribeAsync("queue/+", qos);
            await first.DisconnectAsync();
        }

        await using (MqttClient publisher = await ConnectAsync(broker.Port, version))
        {
            for (int i = 0; i < 5; i++)
            {
                await publisher.PublishAsync($"queue/{i}", Bytes($"offline {i}"), qos);
            }
            await publisher.DisconnectAsync();
        }

        await using var second = new MqttClient(options);
        MqttConnectResult connected = await second.ConnectAsync();
        Assert.True(connected.SessionPresent);
        List<MqttApplicationMessage> received = await second.ReceiveAsync(5);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"offline {i}"), received.Select(Text));
        Assert.All(received, m => Assert.Equal(qos, m.QoS));
        await second.AssertNothingReceivedAsync(TimeSpan.FromMilliseconds(300));
    }

    [SkippableTheory]
    [MemberData(nameof(BrokersVersions))]
    public async Task Clean_start_discards_the_session_and_what_was_queued(string brokerName, ProtocolVersion version)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        MqttClientOptions options = Options(broker.Port, version, clientId: "discarded-" + brokerName);
        options.CleanStart = false;
        options.SessionExpiryInterval = 300;
        await using (var first = new MqttClient(options))
        {
            await first.ConnectAsync();
            await first.SubscribeAsync("gone/+", QualityOfService.AtLeastOnce);
            await first.DisconnectAsync();
        }
        await using (MqttClient publisher = await ConnectAsync(broker.Port, version))
        {
            await publisher.PublishAsync("gone/1", Bytes("queued"), QualityOfService.AtLeastOnce);
            await publisher.DisconnectAsync();
        }

        options.CleanStart = true;
        await using var second = new MqttClient(options);
        Assert.False((await second.ConnectAsync()).SessionPresent);
        await second.AssertNothingReceivedAsync(TimeSpan.FromMilliseconds(300));
    }

    public static TheoryData<string, QualityOfService, QualityOfService> BrokersDowngrades()
    {
        var data = new TheoryData<string, QualityOfService, QualityOfService>();
        foreach (string broker in Brokers.All)
        {
            data.Add(broker, QualityOfService.ExactlyOnce, QualityOfService.AtLeastOnce);
            data.Add(broker, QualityOfService.AtLeastOnce, QualityOfService.ExactlyOnce);
            data.Add(broker, QualityOfService.AtMostOnce, QualityOfService.ExactlyOnce);
        }
        return data;
    }

    /// <summary>[MQTT-3.8.4-8] a message is delivered at the lower of its QoS and the subscription's.</summary>
    [SkippableTheory]
    [MemberData(nameof(BrokersDowngrades))]
    public async Task Delivery_QoS_is_the_lower_of_publication_and_subscription(string brokerName, QualityOfService published, QualityOfService subscribed)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using MqttClient subscriber = await ConnectAsync(broker.Port);
        await subscriber.SubscribeAsync("downgrade", subscribed);
        await using MqttClient publisher = await ConnectAsync(broker.Port);
        await publisher.PublishAsync("downgrade", Bytes("x"), published);

        MqttApplicationMessage m = (await subscriber.ReceiveAsync(1))[0];
        Assert.Equal((QualityOfService)Math.Min((int)published, (int)subscribed), m.QoS);
    }

    [SkippableTheory]
    [MemberData(nameof(BrokersVersions))]
    public async Task Unsubscribe_stops_delivery_and_an_empty_retained_message_clears_the_topic(string brokerName, ProtocolVersion version)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using MqttClient subscriber = await ConnectAsync(broker.Port, version);
        await subscriber.SubscribeAsync([new MqttTopicFilter("a/#", QualityOfService.AtLeastOnce), new MqttTopicFilter("b/#", QualityOfService.AtLeastOnce)]);
        await using MqttClient publisher = await ConnectAsync(broker.Port, version);
        await publisher.PublishAsync("a/1", Bytes("before"), QualityOfService.AtLeastOnce, retain: true);
        Assert.Equal("before", Text((await subscriber.ReceiveAsync(1))[0]));

        MqttUnsubscribeResult unsubscribed = await subscriber.UnsubscribeAsync("a/#");
        if (version == ProtocolVersion.V500)
        {
            Assert.Equal([ReasonCode.Success], unsubscribed.ReasonCodes);
        }
        await publisher.PublishAsync("a/1", Bytes("after"), QualityOfService.AtLeastOnce);
        await publisher.PublishAsync("b/1", Bytes("still subscribed"), QualityOfService.AtLeastOnce);
        Assert.Equal("still subscribed", Text((await subscriber.ReceiveAsync(1))[0]));

        await publisher.PublishAsync("a/1", ReadOnlyMemory<byte>.Empty, QualityOfService.AtLeastOnce, retain: true);
        await using MqttClient late = await ConnectAsync(broker.Port, version);
        await late.SubscribeAsync("a/#", QualityOfService.AtLeastOnce);
        await late.AssertNothingReceivedAsync(TimeSpan.FromMilliseconds(300));
    }

    [SkippableTheory]
    [InlineData("ours")]
    [InlineData("mosquitto")]
    [InlineData("mqttnet")]
    public async Task User_properties_travel_with_the_message(string brokerName)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using MqttClient subscriber = await ConnectAsync(broker.Port);
        await subscriber.SubscribeAsync("props", QualityOfService.AtLeastOnce);
        await using MqttClient publisher = await ConnectAsync(broker.Port);

        await publisher.PublishAsync(new MqttApplicationMessage
        {
            Topic = "props",
            Payload = Bytes("{}"),
            QoS = QualityOfService.AtLeastOnce,
            ContentType = "application/json",
            ResponseTopic = "props/reply",
            CorrelationData = new byte[] { 1, 2, 3 },
            PayloadIsUtf8 = true,
            UserProperties = [new("trace", "abc"), new("trace", "def"), new("ünïcode", "✓")],
        });

        MqttApplicationMessage m = (await subscriber.ReceiveAsync(1))[0];
        Assert.Equal("application/json", m.ContentType);
        Assert.Equal("props/reply", m.ResponseTopic);
        Assert.Equal(new byte[] { 1, 2, 3 }, m.CorrelationData!.Value.ToArray());
        Assert.True(m.PayloadIsUtf8);
        Assert.Equal([new("trace", "abc"), new("trace", "def"), new("ünïcode", "✓")], m.UserProperties);
    }

    /// <summary>Before, the client had no way to ask for a Subscription Identifier (a black-box probe of the client).</summary>
    [SkippableTheory]
    [InlineData("ours")]
    [InlineData("mosquitto")]
    [InlineData("mqttnet")]
    public async Task Subscription_identifiers_come_back_with_the_messages_they_matched(string brokerName)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using MqttClient subscriber = await ConnectAsync(broker.Port);
        await subscriber.SubscribeAsync([new MqttTopicFilter("ids/#") { SubscriptionIdentifier = 7 }]);
        await subscriber.SubscribeAsync([new MqttTopicFilter("ids/a/+") { SubscriptionIdentifier = 268_435_455 }]);
        await using MqttClient publisher = await ConnectAsync(broker.Port);

        await publisher.PublishAsync("ids/b", Bytes("one"));
        await publisher.PublishAsync("ids/a/c", Bytes("both"));

        // Mosquitto sends one copy per matching subscription [MQTT-3.3.4-5]; ours and MQTTnet one with both [MQTT-3.3.4-4].
        List<MqttApplicationMessage> received = await subscriber.ReceiveAsync(brokerName == "mosquitto" ? 3 : 2);
        Assert.Equal([7], received[0].SubscriptionIdentifiers);
        Assert.Equal([7, 268_435_455], received.Skip(1).SelectMany(m => m.SubscriptionIdentifiers).Order().ToArray());
        await Assert.ThrowsAsync<ArgumentException>(() => subscriber.SubscribeAsync(
            [new MqttTopicFilter("x") { SubscriptionIdentifier = 1 }, new MqttTopicFilter("y") { SubscriptionIdentifier = 2 }]));
    }

    [SkippableTheory]
    [InlineData("ours")]
    [InlineData("mosquitto")]
    [InlineData("mqttnet")]
    public async Task Repeated_topics_are_sent_as_topic_aliases_when_the_server_allows(string brokerName)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using var relay = new TcpRelay(broker.Port);
        await using MqttClient subscriber = await ConnectAsync(broker.Port);
        await subscriber.SubscribeAsync("alias/#", QualityOfService.AtLeastOnce);
        await using MqttClient publisher = await ConnectAsync(relay.Port);
        ushort aliasMaximum = publisher.ConnectResult!.TopicAliasMaximum;

        for (int i = 0; i < 5; i++)
        {
            await publisher.PublishAsync("alias/long/topic/name", Bytes($"a{i}"), QualityOfService.AtLeastOnce);
            await publisher.PublishAsync("alias/other", Bytes($"b{i}"), QualityOfService.AtLeastOnce);
        }

        List<MqttApplicationMessage> received = await subscriber.ReceiveAsync(10);
        Assert.Equal(5, received.Count(m => m.Topic == "alias/long/topic/name"));
        Assert.Equal(5, received.Count(m => m.Topic == "alias/other"));
        int emptyTopics = relay.UpstreamPackets().Count(p => p.Type == PacketType.Publish && p.Body[0] == 0 && p.Body[1] == 0);
        Assert.Equal(aliasMaximum >= 2 ? 8 : 0, emptyTopics);
    }

    [SkippableTheory]
    [MemberData(nameof(BrokersVersions))]
    public async Task Reconnection_resends_unacknowledged_QoS1_with_DUP_and_loses_nothing(string brokerName, ProtocolVersion version)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using MqttClient subscriber = await ConnectAsync(broker.Port, version);
        await subscriber.SubscribeAsync("inflight/#", QualityOfService.AtLeastOnce);
        await using var relay = new TcpRelay(broker.Port);
        var reconnected = new TaskCompletionSource<MqttConnectResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using MqttClient publisher = await ConnectAsync(relay.Port, version, o =>
        {
            o.CleanStart = false;
            o.SessionExpiryInterval = 300;
            o.AutomaticReconnect = true;
            o.ReconnectMinimumDelay = TimeSpan.FromMilliseconds(100);
        });
        publisher.Reconnected += (_, r) => reconnected.TrySetResult(r);

        relay.HoldDownstream(); // PUBACKs wait in the relay
        var sends = new List<Task<MqttPublishResult>>();
        for (int i = 0; i < 3; i++)
        {
            sends.Add(publisher.PublishAsync($"inflight/{i}", Bytes($"p{i}"), QualityOfService.AtLeastOnce).AsTask());
        }
        await WaitUntilAsync(() => relay.UpstreamPackets().Count(p => p.Type == PacketType.Publish) >= 3);
        Assert.All(sends, s => Assert.False(s.IsCompleted));
        relay.Cut();
        relay.ResumeDownstream();

        MqttConnectResult again = await reconnected.Task.WaitAsync(Patience);
        Assert.True(again.SessionPresent);
        MqttPublishResult[] results = await Task.WhenAll(sends).WaitAsync(Patience);
        Assert.All(results, r => Assert.True(r.IsSuccess));

        List<(PacketType Type, byte Flags, byte[] Body)> publishes = relay.UpstreamPackets().Where(p => p.Type == PacketType.Publish).ToList();
        Assert.Equal(6, publishes.Count);
        Assert.All(publishes.Take(3), p => Assert.Equal(0, p.Flags & 0b1000));
        Assert.All(publishes.Skip(3), p => Assert.Equal(0b1000, p.Flags & 0b1000)); // [MQTT-3.3.1-1] DUP on re-delivery

        // At least once: each message arrives, some maybe twice (the cut may come before or after the broker read them).
        var seen = new HashSet<string>();
        using var cts = new CancellationTokenSource(Patience);
        await foreach (MqttApplicationMessage m in subscriber.ReadMessagesAsync(cts.Token))
        {
            seen.Add(Text(m));
            if (seen.Count == 3)
            {
                break;
            }
        }
        Assert.Equal(["p0", "p1", "p2"], seen.Order().ToArray());
    }

    /// <summary>Not against the MQTTnet 5 server: it does not send unacknowledged messages again to a resumed session.</summary>
    [SkippableTheory]
    [InlineData("ours", ProtocolVersion.V500)]
    [InlineData("ours", ProtocolVersion.V311)]
    [InlineData("mosquitto", ProtocolVersion.V500)]
    [InlineData("mosquitto", ProtocolVersion.V311)]
    public async Task Reconnected_subscriber_gets_the_unacknowledged_message_again_marked_duplicate(string brokerName, ProtocolVersion version)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using var relay = new TcpRelay(broker.Port);
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using MqttClient subscriber = await ConnectAsync(relay.Port, version, o =>
        {
            o.CleanStart = false;
            o.SessionExpiryInterval = 300;
            o.AutomaticReconnect = true;
            o.AutomaticAcknowledgement = false;
            o.ReconnectMinimumDelay = TimeSpan.FromMilliseconds(100);
        });
        subscriber.Reconnected += (_, _) => reconnected.TrySetResult();
        await subscriber.SubscribeAsync("redeliver", QualityOfService.AtLeastOnce);
        await using MqttClient publisher = await ConnectAsync(broker.Port, version);
        await publisher.PublishAsync("redeliver", Bytes("once"), QualityOfService.AtLeastOnce);

        await using IAsyncEnumerator<MqttApplicationMessage> messages = subscriber.ReadMessagesAsync().GetAsyncEnumerator();
        Assert.True(await messages.MoveNextAsync().AsTask().WaitAsync(Patience));
        Assert.False(messages.Current.Duplicate);
        relay.Cut(); // never acknowledged
        await reconnected.Task.WaitAsync(Patience);

        Assert.True(await messages.MoveNextAsync().AsTask().WaitAsync(Patience));
        Assert.Equal("once", Text(messages.Current));
        Assert.True(messages.Current.Duplicate);
        await subscriber.AcknowledgeAsync(messages.Current);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(Patience);
        while (!condition())
        {
            await Task.Delay(20, cts.Token);
        }
    }
}
