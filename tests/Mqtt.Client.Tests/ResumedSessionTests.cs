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
        MqttClientOptions options = Options(server.Port);
        options.AutomaticReconnect = true;
        options.ReconnectMinimumDelay = options.ReconnectMaximumDelay = TimeSpan.FromMilliseconds(50);
        options.SessionExpiryInterval = 600;
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
        MqttClientOptions options = Options(server.Port);
        options.AutomaticReconnect = true;
        options.ReconnectMinimumDelay = options.ReconnectMaximumDelay = TimeSpan.FromMilliseconds(50);
        options.SessionExpiryInterval = 600;
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
}
