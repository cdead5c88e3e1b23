using System.Buffers;
using Mqtt.Codec;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>
/// Client bugs found by the second review (2026-11-27), one test each against a scripted server (127.0.0.1, port 0,
/// every wait bounded): the message queue and session state across DisconnectAsync and ConnectAsync, a connection
/// lost during the re-sends, the identifier and Clean Session of reconnections, publications racing the end.
/// </summary>
public sealed class ClientReviewTests : IDisposable
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(3);

    private readonly UnobservedClientExceptions _unobserved = new();

    public void Dispose() => _unobserved.Dispose();

    /// <summary>
    /// A message left unread when DisconnectAsync completed the queue does not keep the next connection's messages
    /// out. Before, ConnectAsync kept the old queue (closed but not drained), and every PUBLISH of the new connection
    /// was dropped, QoS 1 and 2 never acknowledged.
    /// </summary>
    [Fact]
    public async Task Messages_of_a_connection_made_after_DisconnectAsync_arrive_though_an_older_one_was_left_unread()
    {
        await using var server = new FakeServer();
        MqttClientOptions options = Options(server.Port);
        options.MessageQueueCapacity = 1;
        await using var client = new MqttClient(options);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync();
            await connecting.WaitAsync(Patience);
            await first.SendAsync(w => Publish("old", QualityOfService.AtMostOnce, 0).Write(w, ProtocolVersion.V500));
            await first.SendAsync(w => Publish("older", QualityOfService.AtMostOnce, 0).Write(w, ProtocolVersion.V500));
            await WaitUntilQueueIsFullAsync(client); // "old" is queued, and left there
            await client.DisconnectAsync().WaitAsync(Patience);
        }

        Task<MqttConnectResult> again = client.ConnectAsync();
        await using FakeConnection second = await server.AcceptAsync();
        await second.AcceptConnectAsync();
        await again.WaitAsync(Patience);
        await second.SendAsync(w => Publish("new", QualityOfService.AtLeastOnce, 7).Write(w, ProtocolVersion.V500));

        List<MqttApplicationMessage> received = await client.ReceiveAsync(1, Short);
        Assert.Equal("new", Text(received[0]));
        OwnedPacket ack = await second.ExpectAsync(PacketType.PubAck, Short);
        Assert.True(PubAckPacket.TryRead(ack.Frame, ProtocolVersion.V500, out PubAckPacket pubAck, out _));
        Assert.Equal(7, pubAck.PacketId);
    }

    /// <summary>
    /// [MQTT-4.3.3-10] A QoS 2 message that never reached the application (the read loop waited for room in a full
    /// queue when DisconnectAsync ended it) keeps no receipt: the server's re-send on the resumed session is delivered
    /// and acknowledged. Before, the receipt stayed unacknowledged, and the re-send was taken as a duplicate: nothing
    /// delivered, no PUBREC, the message lost and its Packet Identifier held.
    /// </summary>
    [Fact]
    public async Task MQTT5_4_3_3_10_a_QoS2_message_dropped_before_reaching_the_application_is_delivered_when_resent()
    {
        await using var server = new FakeServer();
        MqttClientOptions options = Options(server.Port);
        options.CleanStart = false;
        options.SessionExpiryInterval = 600;
        options.MessageQueueCapacity = 1;
        await using var client = new MqttClient(options);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync();
            await connecting.WaitAsync(Patience);
            await first.SendAsync(w => Publish("one", QualityOfService.ExactlyOnce, 1).Write(w, ProtocolVersion.V500));
            await first.SendAsync(w => Publish("two", QualityOfService.ExactlyOnce, 2).Write(w, ProtocolVersion.V500));
            await WaitUntilQueueIsFullAsync(client); // "one" fills the queue; "two" waits for room
            await client.DisconnectAsync().WaitAsync(Patience);
        }
        List<MqttApplicationMessage> drained = await client.ReceiveAsync(1, Short);
        Assert.Equal("one", Text(drained[0])); // acknowledged as it is handed out: its PUBREC goes with the re-send

        Task<MqttConnectResult> again = client.ConnectAsync();
        await using FakeConnection second = await server.AcceptAsync();
        await second.AcceptConnectAsync(sessionPresent: true);
        await again.WaitAsync(Patience);
        await second.SendAsync(w => Publish("one", QualityOfService.ExactlyOnce, 1, duplicate: true).Write(w, ProtocolVersion.V500));
        await second.SendAsync(w => Publish("two", QualityOfService.ExactlyOnce, 2, duplicate: true).Write(w, ProtocolVersion.V500));

        List<MqttApplicationMessage> received = await client.ReceiveAsync(1, Short);
        Assert.Equal("two", Text(received[0]));
        Assert.Equal(1, await ExpectPubRecAsync(second));
        Assert.Equal(2, await ExpectPubRecAsync(second));
    }

    /// <summary>
    /// A connection that the server accepted and then lost while the client re-sent the session's messages is an
    /// ordinary loss: ConnectAsync returns its CONNACK, the client reconnects, and MessageReceived gets the next
    /// connection's messages. Before, ConnectAsync threw while a reconnection loop went on behind it with no
    /// dispatcher: Reconnected fired, but no message ever reached the handler and ConnectAsync was refused.
    /// </summary>
    [Fact]
    public async Task A_connection_lost_during_the_resends_of_ConnectAsync_is_an_ordinary_loss()
    {
        await using var server = new FakeServer();
        MqttClientOptions options = Options(server.Port);
        options.CleanStart = false;
        options.SessionExpiryInterval = 600;
        options.AutomaticReconnect = true;
        options.ReconnectMinimumDelay = options.ReconnectMaximumDelay = TimeSpan.FromMilliseconds(50);
        await using var client = new MqttClient(options);
        var handled = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.MessageReceived = (m, _) =>
        {
            handled.TrySetResult(Text(m));
            return Task.CompletedTask;
        };
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        var publishing = new List<Task<MqttPublishResult>>();
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync();
            await connecting.WaitAsync(Patience);
            for (int i = 0; i < 20; i++)
            {
                publishing.Add(client.PublishAsync("t", new byte[1 << 20], QualityOfService.AtLeastOnce).AsTask());
                await first.ExpectAsync(PacketType.Publish);
            }
            await client.DisconnectAsync().WaitAsync(Patience);
        }
        foreach (Task<MqttPublishResult> p in publishing)
        {
            await Assert.ThrowsAsync<MqttConnectionLostException>(() => p.WaitAsync(Patience)); // their messages stay in the session
        }

        Task<MqttConnectResult> again = client.ConnectAsync();
        await using (FakeConnection second = await server.AcceptAsync())
        {
            await second.AcceptConnectAsync(sessionPresent: true);
            // 20 MiB to re-send: the server ends the connection long before they are written.
            await second.SendAsync(w => new DisconnectPacket { ReasonCode = ReasonCode.ServerShuttingDown }.Write(w, ProtocolVersion.V500));
            second.Close();
        }
        Assert.True((await again.WaitAsync(Patience)).SessionPresent);

        await using FakeConnection third = await server.AcceptAsync();
        await third.AcceptConnectAsync(sessionPresent: true);
        Task draining = third.DrainAsync(); // the re-sends
        await third.SendAsync(w => Publish("hello", QualityOfService.AtMostOnce, 0).Write(w, ProtocolVersion.V500));
        Assert.Equal("hello", await handled.Task.WaitAsync(Patience));
        Assert.True(client.IsConnected);
        await client.DisconnectAsync().WaitAsync(Patience);
        await draining.WaitAsync(Patience);
    }

    /// <summary>Waits (bounded) until the client's read loop waits for room in its full message queue.</summary>
    private static async Task WaitUntilQueueIsFullAsync(MqttClient client)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (client.CurrentConnection is not { AwaitingApplication: true })
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    private static async Task<ushort> ExpectPubRecAsync(FakeConnection connection)
    {
        OwnedPacket packet = await connection.ExpectAsync(PacketType.PubRec, Short);
        Assert.True(PubRecPacket.TryRead(packet.Frame, ProtocolVersion.V500, out PubRecPacket pubRec, out _));
        return pubRec.PacketId;
    }

    /// <summary>
    /// [MQTT-3.1.3-7] MQTT 3.1.1 has no Session Expiry: a reconnection asks for the Clean Session the application
    /// asked for, and always for a clean one with an empty ClientId, which a server refuses with Clean Session 0.
    /// The client's state is brought back as after any Session Present 0: it subscribes again. Before, every
    /// reconnection sent Clean Session 0: the default empty ClientId was refused for good (0x02), and a client that
    /// asked for a clean session left a persistent one on the broker.
    /// </summary>
    [Theory]
    [InlineData("", true)]
    [InlineData("", false)]
    [InlineData("c311", true)]
    [InlineData("c311", false)]
    public async Task MQTT311_3_1_3_7_a_reconnection_asks_for_the_Clean_Session_the_application_asked_for(string clientId, bool cleanSession)
    {
        await using var server = new FakeServer();
        MqttClientOptions options = Options(server.Port, ProtocolVersion.V311, clientId);
        options.CleanStart = cleanSession;
        options.AutomaticReconnect = true;
        options.ReconnectMinimumDelay = options.ReconnectMaximumDelay = TimeSpan.FromMilliseconds(50);
        await using var client = new MqttClient(options);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync();
            await connecting.WaitAsync(Patience);
            Task<MqttSubscribeResult> subscribing = client.SubscribeAsync("s/#", QualityOfService.AtLeastOnce);
            await AcknowledgeSubscribeAsync(first);
            await subscribing.WaitAsync(Patience);
            first.Close();
        }

        await using FakeConnection second = await server.AcceptAsync();
        ConnectPacket reconnect = await second.AcceptConnectAsync();

        Assert.Equal(cleanSession || clientId.Length == 0, reconnect.CleanStart);
        Assert.Equal(clientId, ClientIdOf(reconnect));
        await AcknowledgeSubscribeAsync(second); // no session on the server: the client subscribes again
    }

    /// <summary>
    /// The Assigned Client Identifier of a CONNACK (MQTT 5, empty ClientId) is this client's from then on: its
    /// reconnections and its later ConnectAsync send it, so the session is found again. Before, every reconnection
    /// got a new identifier: Session Present 0 every time, unfinished QoS 2 publications republished as new, and a
    /// session with an expiry orphaned on the server.
    /// </summary>
    [Fact]
    public async Task MQTT5_3_2_2_16_the_Assigned_Client_Identifier_is_sent_by_later_connections()
    {
        await using var server = new FakeServer();
        MqttClientOptions options = Options(server.Port, clientId: "");
        options.SessionExpiryInterval = 600;
        options.AutomaticReconnect = true;
        options.ReconnectMinimumDelay = options.ReconnectMaximumDelay = TimeSpan.FromMilliseconds(50);
        await using var client = new MqttClient(options);
        var reconnected = new TaskCompletionSource<MqttConnectResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Reconnected += (_, r) => reconnected.TrySetResult(r);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync(new MqttProperties { AssignedClientIdentifier = MqttUtf8.Encode("auto-123") });
            Assert.Equal("auto-123", (await connecting.WaitAsync(Patience)).ClientId);
            first.Close();
        }

        await using (FakeConnection second = await server.AcceptAsync())
        {
            ConnectPacket reconnect = await second.AcceptConnectAsync(sessionPresent: true);
            Assert.Equal("auto-123", ClientIdOf(reconnect));
            Assert.False(reconnect.CleanStart);
            Assert.Equal("auto-123", (await reconnected.Task.WaitAsync(Patience)).ClientId);
            await client.DisconnectAsync().WaitAsync(Patience);
        }

        Task<MqttConnectResult> again = client.ConnectAsync();
        await using FakeConnection third = await server.AcceptAsync();
        Assert.Equal("auto-123", ClientIdOf(await third.AcceptConnectAsync()));
        await again.WaitAsync(Patience);
    }

    /// <summary>
    /// [MQTT-2.2.1-3] A SUBSCRIBE whose caller gave up waiting keeps its Packet Identifier until the SUBACK, and the
    /// subscription that SUBACK grants is the client's: it is brought back when the server loses the session. Before,
    /// the cancelled call freed the identifier at once, and the late SUBACK was ignored: the subscription was missing.
    /// </summary>
    [Fact]
    public async Task MQTT5_2_2_1_3_a_subscription_granted_after_its_caller_gave_up_is_kept()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(ReconnectingOptions(server.Port));
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync();
            await connecting.WaitAsync(Patience);
            using var giveUp = new CancellationTokenSource();
            Task<MqttSubscribeResult> subscribing = client.SubscribeAsync("late/#", QualityOfService.AtLeastOnce, giveUp.Token);
            SubscribePacket subscribe = await ReadSubscribeAsync(first);
            giveUp.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => subscribing.WaitAsync(Patience));
            await first.SendAsync(w => new SubAckPacket { PacketId = subscribe.PacketId, ReasonCodes = new(new[] { (byte)1 }) }.Write(w, ProtocolVersion.V500));
            await PingPongAsync(client, first); // the SUBACK before it is handled
            first.Close();
        }

        await using FakeConnection second = await server.AcceptAsync();
        await second.AcceptConnectAsync(); // Session Present 0: the client subscribes again
        SubscribePacket again = await ReadSubscribeAsync(second);
        Assert.Equal(["late/#"], FiltersOf(again));
    }

    /// <summary>When the server has lost the session, each subscription comes back with its Subscription Identifier: one SUBSCRIBE per identifier.</summary>
    [Fact]
    public async Task MQTT5_3_8_2_1_2_subscriptions_brought_back_keep_their_identifiers()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(ReconnectingOptions(server.Port));
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync();
            await connecting.WaitAsync(Patience);
            Task<MqttSubscribeResult> one = client.SubscribeAsync([new MqttTopicFilter("a/#") { SubscriptionIdentifier = 5 }, new MqttTopicFilter("b/#") { SubscriptionIdentifier = 5 }]);
            SubscribePacket both = await ReadSubscribeAsync(first);
            await first.SendAsync(w => new SubAckPacket { PacketId = both.PacketId, ReasonCodes = new(new byte[] { 1, 1 }) }.Write(w, ProtocolVersion.V500));
            await one.WaitAsync(Patience);
            Task<MqttSubscribeResult> other = client.SubscribeAsync([new MqttTopicFilter("c/#") { SubscriptionIdentifier = 6 }]);
            await AcknowledgeSubscribeAsync(first);
            await other.WaitAsync(Patience);
            first.Close();
        }

        await using FakeConnection second = await server.AcceptAsync();
        await second.AcceptConnectAsync(); // Session Present 0: the client subscribes again
        var again = new Dictionary<int, List<string>>();
        for (int i = 0; i < 2; i++)
        {
            SubscribePacket subscribe = await ReadSubscribeAsync(second);
            byte[] granted = [.. FiltersOf(subscribe).Select(_ => (byte)1)];
            await second.SendAsync(w => new SubAckPacket { PacketId = subscribe.PacketId, ReasonCodes = new(granted) }.Write(w, ProtocolVersion.V500));
            Assert.Equal(1, subscribe.Properties.SubscriptionIdentifiers.Count);
            foreach (int id in subscribe.Properties.SubscriptionIdentifiers)
            {
                again[id] = FiltersOf(subscribe);
            }
        }
        Assert.Equal(["a/#", "b/#"], again[5]);
        Assert.Equal(["c/#"], again[6]);
    }

    /// <summary>An UNSUBSCRIBE whose caller gave up waiting still ends the subscription when its UNSUBACK comes.</summary>
    [Fact]
    public async Task MQTT5_2_2_1_3_a_subscription_ended_after_its_caller_gave_up_is_not_brought_back()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(ReconnectingOptions(server.Port));
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync();
            await connecting.WaitAsync(Patience);
            Task<MqttSubscribeResult> subscribing = client.SubscribeAsync([new("gone/#"), new("kept/#")]);
            SubscribePacket subscribe = await ReadSubscribeAsync(first);
            await first.SendAsync(w => new SubAckPacket { PacketId = subscribe.PacketId, ReasonCodes = new(new byte[] { 0, 0 }) }.Write(w, ProtocolVersion.V500));
            await subscribing.WaitAsync(Patience);
            using var giveUp = new CancellationTokenSource();
            Task<MqttUnsubscribeResult> unsubscribing = client.UnsubscribeAsync("gone/#", giveUp.Token);
            OwnedPacket unsubscribe = await first.ExpectAsync(PacketType.Unsubscribe);
            Assert.True(UnsubscribePacket.TryRead(unsubscribe.Frame, ProtocolVersion.V500, out UnsubscribePacket packet, out _));
            giveUp.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => unsubscribing.WaitAsync(Patience));
            await first.SendAsync(w => new UnsubAckPacket { PacketId = packet.PacketId, ReasonCodes = new(new byte[] { 0 }) }.Write(w, ProtocolVersion.V500));
            await PingPongAsync(client, first);
            first.Close();
        }

        await using FakeConnection second = await server.AcceptAsync();
        await second.AcceptConnectAsync();
        SubscribePacket again = await ReadSubscribeAsync(second);
        Assert.Equal(["kept/#"], FiltersOf(again));
    }

    /// <summary>
    /// An AcknowledgeAsync cancelled while it waited for the write path wrote nothing, so the message is still
    /// unacknowledged and a second call sends the PUBACK or PUBREC. Before, the first call had marked it acknowledged:
    /// the second did nothing, and the acknowledgement was lost until a reconnection.
    /// </summary>
    [Theory]
    [InlineData(QualityOfService.AtLeastOnce, PacketType.PubAck)]
    [InlineData(QualityOfService.ExactlyOnce, PacketType.PubRec)]
    public async Task An_acknowledgement_cancelled_before_it_was_written_can_be_sent_again(QualityOfService qos, PacketType acknowledgement)
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync(configure: o => o.AutomaticAcknowledgement = false);
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);
        await connection.SendAsync(w => Publish("m", qos, 5).Write(w, ProtocolVersion.V500));
        MqttApplicationMessage message = (await client.ReceiveAsync(1, Short))[0];

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await client.AcknowledgeAsync(message, new CancellationToken(canceled: true)));
        await client.AcknowledgeAsync(message).AsTask().WaitAsync(Patience);

        OwnedPacket sent = await connection.ExpectAsync(acknowledgement, Short);
        Assert.Equal(5, sent.Body[0] << 8 | sent.Body[1]);
    }

    private static MqttClientOptions ReconnectingOptions(int port)
    {
        MqttClientOptions options = Options(port);
        options.AutomaticReconnect = true;
        options.ReconnectMinimumDelay = options.ReconnectMaximumDelay = TimeSpan.FromMilliseconds(50);
        return options;
    }

    private static List<string> FiltersOf(in SubscribePacket subscribe)
    {
        var filters = new List<string>();
        foreach (Subscription subscription in subscribe.Subscriptions)
        {
            filters.Add(subscription.TopicFilterString);
        }
        return filters;
    }

    private static async Task<SubscribePacket> ReadSubscribeAsync(FakeConnection connection)
    {
        OwnedPacket packet = await connection.ExpectAsync(PacketType.Subscribe, Short);
        Assert.True(SubscribePacket.TryRead(packet.Frame, connection.Version, out SubscribePacket subscribe, out _));
        return subscribe;
    }

    /// <summary>
    /// A QoS 1 publication and its PUBACK: once the client has it, the read loop handled every packet the server sent
    /// before.
    /// </summary>
    private static async Task PingPongAsync(MqttClient client, FakeConnection connection)
    {
        Task<MqttPublishResult> publishing = client.PublishAsync("sync", Bytes("."), QualityOfService.AtLeastOnce).AsTask();
        OwnedPacket packet = await connection.ExpectAsync(PacketType.Publish, Short);
        Assert.True(PublishPacket.TryRead(packet.Frame, ProtocolVersion.V500, out PublishPacket publish, out _));
        await connection.SendAsync(w => new PubAckPacket { PacketId = publish.PacketId }.Write(w, ProtocolVersion.V500));
        await publishing.WaitAsync(Patience);
    }

    private static string ClientIdOf(in ConnectPacket connect) => System.Text.Encoding.UTF8.GetString(connect.ClientId.ToArray());

    private static async Task AcknowledgeSubscribeAsync(FakeConnection connection)
    {
        OwnedPacket packet = await connection.ExpectAsync(PacketType.Subscribe, Short);
        Assert.True(SubscribePacket.TryRead(packet.Frame, connection.Version, out SubscribePacket subscribe, out _));
        await connection.SendAsync(w => new SubAckPacket { PacketId = subscribe.PacketId, ReasonCodes = new(new[] { (byte)1 }) }.Write(w, connection.Version));
    }

    private static PublishPacket Publish(string payload, QualityOfService qos, ushort packetId, bool duplicate = false) => new()
    {
        Topic = MqttUtf8.Encode("t"),
        Payload = new ReadOnlySequence<byte>(Bytes(payload)),
        QoS = qos,
        PacketId = packetId,
        Duplicate = duplicate,
    };
}
