using Mqtt.Codec;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>
/// QoS 2 across a lost connection (section 4.3.3, 4.4): the relay loses one packet of the exchange, the client reconnects
/// and resumes the session, and nothing acknowledged is lost while nothing reaches an application twice.
/// </summary>
public sealed class ExactlyOnceReconnectionTests
{
    public static TheoryData<string, ProtocolVersion> BrokersVersions() => Combine(Brokers.All);

    /// <summary>
    /// Brokers that keep QoS 2 state with the session. The MQTTnet 5 server does not: it forwards a PUBLISH re-sent with
    /// DUP on a new connection a second time, and it sends neither unacknowledged PUBLISHes nor PUBRELs again to a
    /// resumed session, so those tests cannot apply to it.
    /// </summary>
    public static TheoryData<string, ProtocolVersion> SessionKeepingBrokersVersions() => Combine(["ours", "mosquitto"]);

    private static TheoryData<string, ProtocolVersion> Combine(string[] brokers)
    {
        var data = new TheoryData<string, ProtocolVersion>();
        foreach (string broker in brokers)
        {
            data.Add(broker, ProtocolVersion.V500);
            data.Add(broker, ProtocolVersion.V311);
        }
        return data;
    }

    /// <summary>
    /// The broker received the PUBLISHes and answered PUBREC, which the connection lost: the client sends them again
    /// with DUP and the broker must recognise them [MQTT-4.3.3-10] rather than forward them a second time.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(SessionKeepingBrokersVersions))]
    public async Task Publisher_whose_PUBREC_was_lost_resends_the_PUBLISH_with_DUP_and_it_is_delivered_once(string brokerName, ProtocolVersion version)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using MqttClient subscriber = await ConnectAsync(broker.Port, version);
        await subscriber.SubscribeAsync("exactly/#", QualityOfService.ExactlyOnce);
        await using var relay = new TcpRelay(broker.Port);
        (MqttClient publisher, Task<MqttConnectResult> reconnected) = await ConnectResumingAsync(relay.Port, version);
        await using MqttClient _ = publisher;

        relay.HoldDownstream(); // the PUBRECs wait in the relay and die with the connection
        List<Task<MqttPublishResult>> sends = Enumerable.Range(0, 3)
            .Select(i => publisher.PublishAsync($"exactly/{i}", Bytes($"e{i}"), QualityOfService.ExactlyOnce).AsTask()).ToList();
        await relay.WaitForDownstreamAsync(p => p.Count(x => x.Type == PacketType.PubRec) == 3);
        Assert.All(sends, s => Assert.False(s.IsCompleted));
        relay.Cut();
        relay.ResumeDownstream();

        Assert.True((await reconnected.WaitAsync(Patience)).SessionPresent);
        MqttPublishResult[] results = await Task.WhenAll(sends).WaitAsync(Patience);
        Assert.All(results, r => Assert.True(r.IsSuccess, r.ReasonCode.ToString()));

        List<(PacketType Type, byte Flags, byte[] Body)> publishes = relay.UpstreamPackets().Where(p => p.Type == PacketType.Publish).ToList();
        Assert.Equal(6, publishes.Count);
        Assert.All(publishes.Take(3), p => Assert.Equal(0, p.Flags & 0b1000));
        Assert.All(publishes.Skip(3), p => Assert.Equal(0b1000, p.Flags & 0b1000)); // [MQTT-3.3.1-1]
        Assert.Equal(3, relay.UpstreamPackets().Count(p => p.Type == PacketType.PubRel));

        await AssertReceivedOnceAsync(subscriber, ["e0", "e1", "e2"]);
    }

    /// <summary>
    /// The client had the PUBRECs and sent PUBREL, which the connection lost: after reconnecting it sends PUBREL again
    /// and never the PUBLISH [MQTT-4.4.0-1], and the broker completes the flows with PUBCOMP.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(BrokersVersions))]
    public async Task Publisher_whose_PUBREL_was_lost_sends_only_PUBREL_again_and_the_message_is_delivered_once(string brokerName, ProtocolVersion version)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using MqttClient subscriber = await ConnectAsync(broker.Port, version);
        await subscriber.SubscribeAsync("exactly/#", QualityOfService.ExactlyOnce);
        await using var relay = new TcpRelay(broker.Port);
        (MqttClient publisher, Task<MqttConnectResult> reconnected) = await ConnectResumingAsync(relay.Port, version);
        await using MqttClient _ = publisher;

        relay.DropUpstream(type => type == PacketType.PubRel);
        List<Task<MqttPublishResult>> sends = Enumerable.Range(0, 3)
            .Select(i => publisher.PublishAsync($"exactly/{i}", Bytes($"r{i}"), QualityOfService.ExactlyOnce).AsTask()).ToList();
        await relay.WaitForUpstreamAsync(p => p.Count(x => x.Type == PacketType.PubRel) == 3);
        Assert.All(sends, s => Assert.False(s.IsCompleted));
        relay.Cut();
        relay.DropUpstream(null);

        Assert.True((await reconnected.WaitAsync(Patience)).SessionPresent);
        MqttPublishResult[] results = await Task.WhenAll(sends).WaitAsync(Patience);
        Assert.All(results, r => Assert.True(r.IsSuccess, r.ReasonCode.ToString()));

        List<(PacketType Type, byte Flags, byte[] Body)> upstream = relay.UpstreamPackets();
        Assert.Equal(3, upstream.Count(p => p.Type == PacketType.Publish));
        Assert.Equal(6, upstream.Count(p => p.Type == PacketType.PubRel));
        Assert.Equal(3, relay.DownstreamPackets().Count(p => p.Type == PacketType.PubComp));

        await AssertReceivedOnceAsync(subscriber, ["r0", "r1", "r2"]);
    }

    /// <summary>
    /// The application had the messages and the client answered PUBREC, which the connection lost: the broker sends the
    /// PUBLISHes again with DUP after the reconnection, and the client answers PUBREC without delivering them again.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(SessionKeepingBrokersVersions))]
    public async Task Subscriber_whose_PUBREC_was_lost_gets_the_PUBLISH_again_and_does_not_deliver_it_twice(string brokerName, ProtocolVersion version)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using var relay = new TcpRelay(broker.Port);
        (MqttClient subscriber, Task<MqttConnectResult> reconnected) = await ConnectResumingAsync(relay.Port, version);
        await using MqttClient _ = subscriber;
        await subscriber.SubscribeAsync("exactly/in", QualityOfService.ExactlyOnce);
        await using MqttClient publisher = await ConnectAsync(broker.Port, version);

        relay.DropUpstream(type => type == PacketType.PubRec);
        await publisher.PublishAsync("exactly/in", Bytes("i0"), QualityOfService.ExactlyOnce);
        await publisher.PublishAsync("exactly/in", Bytes("i1"), QualityOfService.ExactlyOnce);
        List<MqttApplicationMessage> first = await subscriber.ReceiveAsync(2);
        Assert.Equal(["i0", "i1"], first.Select(Text));
        await relay.WaitForUpstreamAsync(p => p.Count(x => x.Type == PacketType.PubRec) == 2);
        relay.Cut();
        relay.DropUpstream(null);

        Assert.True((await reconnected.WaitAsync(Patience)).SessionPresent);
        await relay.WaitForUpstreamAsync(p => p.Count(x => x.Type == PacketType.PubComp) == 2);
        Assert.Equal(2, relay.DownstreamPackets().Count(p => p.Type == PacketType.Publish && (p.Flags & 0b1000) != 0));
        await subscriber.AssertNothingReceivedAsync(TimeSpan.FromMilliseconds(500));
    }

    /// <summary>
    /// The client released the messages and answered PUBCOMP, which the connection lost: the broker sends PUBREL again,
    /// the client completes it, and the application sees each message once.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(SessionKeepingBrokersVersions))]
    public async Task Subscriber_whose_PUBCOMP_was_lost_completes_the_PUBREL_again_without_a_second_delivery(string brokerName, ProtocolVersion version)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using var relay = new TcpRelay(broker.Port);
        (MqttClient subscriber, Task<MqttConnectResult> reconnected) = await ConnectResumingAsync(relay.Port, version);
        await using MqttClient _ = subscriber;
        await subscriber.SubscribeAsync("exactly/in", QualityOfService.ExactlyOnce);
        await using MqttClient publisher = await ConnectAsync(broker.Port, version);

        relay.DropUpstream(type => type == PacketType.PubComp);
        await publisher.PublishAsync("exactly/in", Bytes("c0"), QualityOfService.ExactlyOnce);
        await publisher.PublishAsync("exactly/in", Bytes("c1"), QualityOfService.ExactlyOnce);
        List<MqttApplicationMessage> first = await subscriber.ReceiveAsync(2);
        Assert.Equal(["c0", "c1"], first.Select(Text));
        await relay.WaitForUpstreamAsync(p => p.Count(x => x.Type == PacketType.PubComp) == 2);
        relay.Cut();
        relay.DropUpstream(null);

        Assert.True((await reconnected.WaitAsync(Patience)).SessionPresent);
        await relay.WaitForUpstreamAsync(p => p.Count(x => x.Type == PacketType.PubComp) == 4);
        Assert.Equal(2, relay.DownstreamPackets().Count(p => p.Type == PacketType.Publish));
        await subscriber.AssertNothingReceivedAsync(TimeSpan.FromMilliseconds(500));
    }

    /// <summary>A connected client with a persistent session that reconnects by itself; the task completes at the first reconnection.</summary>
    private static async Task<(MqttClient Client, Task<MqttConnectResult> Reconnected)> ConnectResumingAsync(int port, ProtocolVersion version)
    {
        var reconnected = new TaskCompletionSource<MqttConnectResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        MqttClient client = await ConnectAsync(port, version, o =>
        {
            o.CleanStart = false;
            o.SessionExpiryInterval = 300;
            o.AutomaticReconnect = true;
            o.ReconnectMinimumDelay = TimeSpan.FromMilliseconds(100);
        });
        client.Reconnected += (_, r) => reconnected.TrySetResult(r);
        return (client, reconnected.Task);
    }

    /// <summary>Each payload arrives once, in any order, and nothing else follows.</summary>
    private static async Task AssertReceivedOnceAsync(MqttClient subscriber, string[] payloads)
    {
        List<MqttApplicationMessage> received = await subscriber.ReceiveAsync(payloads.Length);
        Assert.Equal(payloads, received.Select(Text).Order().ToArray());
        Assert.All(received, m => Assert.Equal(QualityOfService.ExactlyOnce, m.QoS));
        await subscriber.AssertNothingReceivedAsync(TimeSpan.FromMilliseconds(500));
    }
}
