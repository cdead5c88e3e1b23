using System.Buffers;
using Mqtt.Codec;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>Re-sending a resumed session's messages against a scripted server.</summary>
public sealed class ResumedSessionTests : IDisposable
{
    private readonly UnobservedClientExceptions _unobserved = new();

    public void Dispose() => _unobserved.Dispose();

    [Fact]
    public async Task Resent_PUBLISHes_beyond_the_new_Receive_Maximum_go_out_in_order_as_acknowledgements_free_slots()
    {
        await using var server = new FakeServer();
        MqttClientOptions options = ReconnectingOptions(server.Port);
        await using var client = new MqttClient(options);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        var publishing = new List<Task<MqttPublishResult>>();
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync();
            await connecting.WaitAsync(Patience);
            for (int i = 0; i < 5; i++)
            {
                publishing.Add(client.PublishAsync("t", new[] { (byte)i }, QualityOfService.AtLeastOnce).AsTask());
                await first.ExpectAsync(PacketType.Publish);
            }
            first.Close();
        }

        await using FakeConnection second = await server.AcceptAsync();
        await second.AcceptConnectAsync(new MqttProperties { ReceiveMaximum = 2 }, sessionPresent: true);
        Task<MqttPublishResult> later = client.PublishAsync("t", new byte[] { 5 }, QualityOfService.AtLeastOnce).AsTask();
        var inFlight = new Queue<ushort>();
        for (int expected = 0; expected < 6; expected++)
        {
            Task<OwnedPacket> reading = second.ExpectAsync(PacketType.Publish);
            if (inFlight.Count == 2)
            {
                await Task.Delay(200);
                Assert.False(reading.IsCompleted, "a PUBLISH beyond the Receive Maximum of 2");
                ushort acknowledged = inFlight.Dequeue();
                await second.SendAsync(w => new PubAckPacket { PacketId = acknowledged }.Write(w, ProtocolVersion.V500));
            }
            OwnedPacket packet = await reading;
            Assert.True(PublishPacket.TryRead(packet.Frame, ProtocolVersion.V500, out PublishPacket publish, out _));
            Assert.Equal(expected, publish.Payload.FirstSpan[0]);
            Assert.Equal(expected < 5, publish.Duplicate);
            inFlight.Enqueue(publish.PacketId);
        }
        while (inFlight.TryDequeue(out ushort acknowledged))
        {
            await second.SendAsync(w => new PubAckPacket { PacketId = acknowledged }.Write(w, ProtocolVersion.V500));
        }
        await Task.WhenAll(publishing.Append(later)).WaitAsync(Patience);
    }

    /// <summary>
    /// [MQTT-3.1.2-4] Clean Start discards the session: a publication that failed with the last connection is not
    /// published again by the next. Before, it went out first, as a new message nobody waited for.
    /// </summary>
    [Fact]
    public async Task MQTT5_3_1_2_4_a_clean_start_connection_does_not_publish_what_failed_with_the_last_one()
    {
        await using var server = new FakeServer();
        MqttClientOptions options = Options(server.Port);
        options.SessionExpiryInterval = 600;
        await using var client = new MqttClient(options);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        Task<MqttPublishResult> failing;
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync();
            await connecting.WaitAsync(Patience);
            failing = client.PublishAsync("t", new byte[] { 1 }, QualityOfService.AtLeastOnce).AsTask();
            await first.ExpectAsync(PacketType.Publish);
            await client.DisconnectAsync().WaitAsync(Patience);
        }
        await Assert.ThrowsAnyAsync<MqttException>(() => failing.WaitAsync(Patience));

        Task<MqttConnectResult> again = client.ConnectAsync();
        await using FakeConnection second = await server.AcceptAsync();
        await second.AcceptConnectAsync();
        await again.WaitAsync(Patience);

        PublishPacket published = await PublishAtLeastOnceAsync(client, second, payload: 2);
        Assert.Equal(2, published.Payload.FirstSpan[0]);
    }

    /// <summary>
    /// A publication refused for the application's input gives its Receive Maximum slot back, also with automatic
    /// reconnection on. Before, a topic over 65,535 bytes failed while being written and kept its slot for good: with a
    /// Receive Maximum of 1 the next publication waited for ever.
    /// </summary>
    [Fact]
    public async Task A_topic_over_65535_bytes_is_refused_and_holds_no_slot()
    {
        await using var server = new FakeServer();
        MqttClientOptions options = Options(server.Port);
        options.AutomaticReconnect = true;
        await using var client = new MqttClient(options);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.AcceptConnectAsync(new MqttProperties { ReceiveMaximum = 1 });
        await connecting.WaitAsync(Patience);

        await Assert.ThrowsAsync<ArgumentException>(async () => await client.PublishAsync(new string('a', 70_000), new byte[] { 1 }, QualityOfService.AtLeastOnce));

        await PublishAtLeastOnceAsync(client, connection, payload: 2);
    }

    /// <summary>
    /// A resumed session's QoS 2 message that the new server's Maximum QoS does not allow fails with 0x9B instead of
    /// being re-sent: the server would disconnect for it, and the client reconnect and re-send it, for ever.
    /// </summary>
    [Fact]
    public async Task MQTT5_3_2_2_11_a_pending_message_above_the_new_servers_Maximum_QoS_fails_instead_of_being_resent()
    {
        await using var server = new FakeServer();
        MqttClientOptions options = ReconnectingOptions(server.Port);
        await using var client = new MqttClient(options);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        Task<MqttPublishResult> exactlyOnce;
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync();
            await connecting.WaitAsync(Patience);
            exactlyOnce = client.PublishAsync("t", new byte[] { 2 }, QualityOfService.ExactlyOnce).AsTask();
            await first.ExpectAsync(PacketType.Publish);
            first.Close();
        }

        await using FakeConnection second = await server.AcceptAsync();
        await second.AcceptConnectAsync(new MqttProperties { MaximumQoS = QualityOfService.AtLeastOnce }, sessionPresent: true);

        MqttException refused = await Assert.ThrowsAnyAsync<MqttException>(() => exactlyOnce.WaitAsync(Patience));
        Assert.Equal(ReasonCode.QoSNotSupported, refused.ReasonCode);
        PublishPacket next = await PublishAtLeastOnceAsync(client, second, payload: 1);
        Assert.Equal(QualityOfService.AtLeastOnce, next.QoS);
    }

    /// <summary>
    /// [MQTT-4.6.0-1] After a reconnection the resumed session's re-send goes first: publications that waited for a
    /// slot while the connection was down, granted one by the new CONNACK, come after it. Before, they raced the
    /// re-send for the write path and, under load, won (2 of 3 full runs of this project's tests, 2 cores).
    /// </summary>
    [Fact]
    public async Task MQTT5_4_6_0_1_publications_waiting_for_a_slot_do_not_overtake_the_resent_ones()
    {
        await using var server = new FakeServer();
        MqttClientOptions options = ReconnectingOptions(server.Port);
        // Slow to log the reconnection, which comes before the re-sends: the granted publications get every chance to go first.
        options.Logger = new SlowToLogConnections();
        await using var client = new MqttClient(options);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        var publishing = new List<Task<MqttPublishResult>>();
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync(new MqttProperties { ReceiveMaximum = 1 });
            await connecting.WaitAsync(Patience);
            for (int i = 0; i < 50; i++)
            {
                publishing.Add(client.PublishAsync("t", new[] { (byte)i }, QualityOfService.AtLeastOnce).AsTask());
            }
            await first.ExpectAsync(PacketType.Publish); // the one in flight; 49 wait for its slot
            first.Close();
        }

        await using FakeConnection second = await server.AcceptAsync();
        await second.AcceptConnectAsync(new MqttProperties { ReceiveMaximum = 100 }, sessionPresent: true);
        var received = new List<int>();
        for (int i = 0; i < 50; i++)
        {
            OwnedPacket packet = await second.ExpectAsync(PacketType.Publish);
            Assert.True(PublishPacket.TryRead(packet.Frame, ProtocolVersion.V500, out PublishPacket publish, out _));
            received.Add(publish.Payload.FirstSpan[0]);
            Assert.Equal(i == 0, publish.Duplicate);
            await second.SendAsync(w => new PubAckPacket { PacketId = publish.PacketId }.Write(w, ProtocolVersion.V500));
        }
        // The re-send first; the 49 that waited for a slot then go in the order PublishAsync was called in.
        Assert.Equal(Enumerable.Range(0, 50), received);
        await Task.WhenAll(publishing).WaitAsync(Patience);
    }

    /// <summary>
    /// [MQTT-4.6.0-1] Publications made while a new connection writes its re-sends go after them, and in the order they
    /// were made. Before, each took a free slot and waited for the re-sends on its own; woken together on the thread
    /// pool, they raced for the write path and went out of order.
    /// </summary>
    [Fact]
    public async Task MQTT5_4_6_0_1_publications_made_during_the_resends_go_out_in_call_order()
    {
        const int count = 50;
        await using var server = new FakeServer();
        MqttClientOptions options = ReconnectingOptions(server.Port);
        var logger = new HeldWhileConnecting();
        options.Logger = logger;
        await using var client = new MqttClient(options);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        var publishing = new List<Task<MqttPublishResult>>();
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync(new MqttProperties { ReceiveMaximum = 1 });
            await connecting.WaitAsync(Patience);
            publishing.Add(client.PublishAsync("t", new byte[] { 0 }, QualityOfService.AtLeastOnce).AsTask());
            await first.ExpectAsync(PacketType.Publish);
            logger.Hold();
            first.Close();
        }

        await using FakeConnection second = await server.AcceptAsync();
        await second.AcceptConnectAsync(new MqttProperties { ReceiveMaximum = 100 }, sessionPresent: true);
        // The new connection is current, its re-send not yet written: publications made now find free slots.
        Assert.True(logger.Held.Wait(Patience), "the reconnection did not log its connection");
        for (int i = 1; i < count; i++)
        {
            publishing.Add(client.PublishAsync("t", new[] { (byte)i }, QualityOfService.AtLeastOnce).AsTask());
        }
        logger.Release();
        var received = new List<int>();
        for (int i = 0; i < count; i++)
        {
            OwnedPacket packet = await second.ExpectAsync(PacketType.Publish);
            Assert.True(PublishPacket.TryRead(packet.Frame, ProtocolVersion.V500, out PublishPacket publish, out _));
            received.Add(publish.Payload.FirstSpan[0]);
            Assert.Equal(i == 0, publish.Duplicate);
            await second.SendAsync(w => new PubAckPacket { PacketId = publish.PacketId }.Write(w, ProtocolVersion.V500));
        }
        Assert.Equal(Enumerable.Range(0, count), received);
        await Task.WhenAll(publishing).WaitAsync(Patience);
    }

    /// <summary>
    /// Section 3.7.2.1: PUBCOMP 0x92 "is not an error during recovery". The connection broke after the PUBREL, before the
    /// PUBCOMP; the server, which had completed the flow, answers the re-sent PUBREL with 0x92, and the publication
    /// succeeds (the PUBREC said the server had the message). Before, it failed, and an application that retried
    /// published the message twice.
    /// </summary>
    [Fact]
    public async Task MQTT5_3_7_2_1_PUBCOMP_0x92_to_a_PUBREL_resent_after_a_reconnection_completes_the_publication()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(ReconnectingOptions(server.Port));
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        Task<MqttPublishResult> publishing;
        ushort packetId;
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.AcceptConnectAsync();
            await connecting.WaitAsync(Patience);
            publishing = client.PublishAsync("t", new byte[] { 1 }, QualityOfService.ExactlyOnce).AsTask();
            packetId = await ReleaseAsync(first);
            first.Close(); // the PUBCOMP is lost with the connection
        }

        await using FakeConnection second = await server.AcceptAsync();
        await second.AcceptConnectAsync(sessionPresent: true);
        OwnedPacket resent = await second.ExpectAsync(PacketType.PubRel);
        Assert.True(PubRelPacket.TryRead(resent.Frame, ProtocolVersion.V500, out PubRelPacket pubRel, out _));
        Assert.Equal(packetId, pubRel.PacketId);
        await second.SendAsync(w => new PubCompPacket { PacketId = packetId, ReasonCode = ReasonCode.PacketIdentifierNotFound }.Write(w, ProtocolVersion.V500));

        MqttPublishResult result = await publishing.WaitAsync(Patience);
        Assert.True(result.IsSuccess, result.ReasonCode.ToString());
        Assert.Equal(ReasonCode.Success, result.ReasonCode);
    }

    /// <summary>
    /// PUBCOMP 0x92 to a first PUBREL is no recovery: the server lost the state of a flow it had answered with PUBREC
    /// (a session mismatch), so the publication reports it rather than claim success.
    /// </summary>
    [Fact]
    public async Task PUBCOMP_0x92_to_a_first_PUBREL_is_reported_as_the_failure_it_is()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(ReconnectingOptions(server.Port));
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.AcceptConnectAsync();
        await connecting.WaitAsync(Patience);
        Task<MqttPublishResult> publishing = client.PublishAsync("t", new byte[] { 1 }, QualityOfService.ExactlyOnce).AsTask();
        ushort packetId = await ReleaseAsync(connection);
        await connection.SendAsync(w => new PubCompPacket { PacketId = packetId, ReasonCode = ReasonCode.PacketIdentifierNotFound }.Write(w, ProtocolVersion.V500));

        MqttPublishResult result = await publishing.WaitAsync(Patience);
        Assert.Equal(ReasonCode.PacketIdentifierNotFound, result.ReasonCode);
        Assert.False(result.IsSuccess);
    }

    /// <summary>Reads a QoS 2 PUBLISH, answers PUBREC and reads the client's PUBREL; returns the Packet Identifier.</summary>
    private static async Task<ushort> ReleaseAsync(FakeConnection server)
    {
        OwnedPacket packet = await server.ExpectAsync(PacketType.Publish);
        Assert.True(PublishPacket.TryRead(packet.Frame, ProtocolVersion.V500, out PublishPacket publish, out _));
        await server.SendAsync(w => new PubRecPacket { PacketId = publish.PacketId }.Write(w, ProtocolVersion.V500));
        await server.ExpectAsync(PacketType.PubRel);
        return publish.PacketId;
    }

    /// <summary>A persistent session that reconnects by itself, 50 ms after a loss.</summary>
    private static MqttClientOptions ReconnectingOptions(int port)
    {
        MqttClientOptions options = Options(port);
        options.AutomaticReconnect = true;
        options.ReconnectMinimumDelay = options.ReconnectMaximumDelay = TimeSpan.FromMilliseconds(50);
        options.SessionExpiryInterval = 600;
        return options;
    }

    /// <summary>Publishes one byte at QoS 1 and acknowledges the first PUBLISH the server then reads, which it returns.</summary>
    private static async Task<PublishPacket> PublishAtLeastOnceAsync(MqttClient client, FakeConnection server, byte payload)
    {
        Task<MqttPublishResult> publishing = client.PublishAsync("t", new[] { payload }, QualityOfService.AtLeastOnce).AsTask();
        OwnedPacket packet = await server.ExpectAsync(PacketType.Publish);
        Assert.True(PublishPacket.TryRead(packet.Frame, ProtocolVersion.V500, out PublishPacket publish, out _));
        await server.SendAsync(w => new PubAckPacket { PacketId = publish.PacketId }.Write(w, ProtocolVersion.V500));
        await publishing.WaitAsync(Patience);
        return publish;
    }

    /// <summary>Takes 200 ms to log "connected to ...", as a slow log sink would.</summary>
    /// <summary>Once held, keeps the next connection in ActivateAsync (after it became current, before its re-sends) until released.</summary>
    private sealed class HeldWhileConnecting : Microsoft.Extensions.Logging.ILogger
    {
        private readonly ManualResetEventSlim _released = new(initialState: true);

        public ManualResetEventSlim Held { get; } = new();

        public void Hold() => _released.Reset();

        public void Release() => _released.Set();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state,
            Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!_released.IsSet && formatter(state, exception).StartsWith("connected to", StringComparison.Ordinal))
            {
                Held.Set();
                // Bounded: a test that fails must not leave the client stuck here.
                _released.Wait(Patience);
            }
        }
    }

    private sealed class SlowToLogConnections : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state,
            Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (formatter(state, exception).StartsWith("connected to", StringComparison.Ordinal))
            {
                Thread.Sleep(200);
            }
        }
    }
}
