namespace Mqtt.Broker.Tests;

/// <summary>MQTT 3.1.1: sessions, transport, transient errors and encoding rules as the broker applies them.</summary>
public sealed class Mqtt311SessionTests
{
    [Fact]
    public async Task MQTT311_3_1_3_2_client_id_identifies_the_session_state()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient a = await broker.OpenAsync(V311))
        {
            await a.ConnectAsync("alpha", cleanStart: false);
            await a.SubscribeAsync("for/alpha", QoS1);
            await a.SendAsync(new DisconnectPacket());
            await a.ExpectClosedAsync();
        }
        await using RawClient b = await broker.OpenAsync(V311);
        Assert.False((await b.ConnectAsync("beta", cleanStart: false)).SessionPresent);
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("for/alpha", "a", QoS1);
        await b.ExpectNothingPendingAsync();
        await using RawClient again = await broker.OpenAsync(V311);
        Assert.True((await again.ConnectAsync("alpha", cleanStart: false)).SessionPresent);
        Assert.Equal("for/alpha", (await again.ExpectPublishPacketAsync()).Topic);
    }

    [Fact]
    public async Task MQTT311_4_1_0_1_session_state_is_kept_for_the_life_of_the_session()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient first = await broker.OpenAsync(V311))
        {
            await first.ConnectAsync("c", cleanStart: false);
            await first.SubscribeAsync("t", QoS2);
            // An incoming QoS 2 message whose PUBREL comes on the next connection.
            await first.SendAsync(new PublishPacket { Topic = Wire.Text("in"), Payload = Wire.Text("p"), QoS = QoS2, PacketId = 9 });
            await first.ExpectAsync(PacketType.PubRec);
            first.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient second = await broker.OpenAsync(V311);
        Assert.True((await second.ConnectAsync("c", cleanStart: false)).SessionPresent);
        await second.SendAckAsync(PacketType.PubRel, 9);
        // The PUBCOMP for a known id: the 3.1.1 form has only the id, so check the flow completes and the subscription stands.
        Assert.Equal(new byte[] { 0, 9 }, (await second.ExpectAsync(PacketType.PubComp)).Body);
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("t", "kept", QoS1);
        Assert.Equal("kept", (await second.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT311_4_1_0_2_clean_session_lasts_as_long_as_the_connection()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311, cleanStart: true);
        await client.SubscribeAsync("t", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        for (int i = 0; i < 5; i++)
        {
            await publisher.PublishAsync("t", $"{i}", QoS1);
            PublishPacket p = await client.ExpectPublishAsync();
            await client.SendAckAsync(PacketType.PubAck, p.PacketId);
        }
        client.Drop();
        await broker.WaitForOpenConnectionsAsync(1);
        await Eventually.TrueAsync(() => broker.Broker.SessionCount == 1, "the clean session to end with its connection");
    }

    /// <summary>
    /// A clean session taken over by a connection asking to resume (Clean Session 0, or an MQTT 5 Clean Start 0) ends
    /// with its connection: the new one gets a new session. It got the old one, Session Present 1 and subscriptions and
    /// all (found by a 3.1.1 probe). (An MQTT 5 session of expiry 0 still open is resumed: Mqtt5TakeoverTests.)
    /// </summary>
    [Theory]
    [InlineData(ProtocolVersion.V311)]
    [InlineData(ProtocolVersion.V500)]
    public async Task MQTT311_3_1_2_6_a_clean_session_taken_over_is_not_resumed(ProtocolVersion version)
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient first = await broker.ConnectAsync("c", V311, cleanStart: true);
        await first.SubscribeAsync("leak", QoS1);

        await using RawClient second = await broker.OpenAsync(version);
        ConnAckPacket connAck = await second.ConnectAsync("c", cleanStart: false,
            properties: version == ProtocolVersion.V500 ? new MqttProperties { SessionExpiryInterval = 300 } : default);
        Assert.False(connAck.SessionPresent);
        await using RawClient publisher = await broker.ConnectAsync("p", version);
        await publisher.PublishAsync("leak", "x", QoS1);
        await second.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT311_7_1_1_1_server_serves_mqtt_over_an_ordered_byte_stream_split_anywhere()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("sub", V311);
        await sub.SubscribeAsync("s/#", QoS0);
        await using RawClient client = await broker.OpenAsync(V311);
        var bytes = new List<byte>();
        bytes.AddRange(Wire.Encode(Wire.Connect("trickle", V311)));
        for (int i = 0; i < 5; i++)
        {
            bytes.AddRange(Wire.Encode(new PublishPacket { Topic = Wire.Text($"s/{i}"), Payload = Wire.Text($"{i}") }, V311));
        }
        foreach (byte b in bytes)
        {
            await client.SendAsync(new[] { b });
        }
        await client.ExpectAsync(PacketType.ConnAck);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal($"s/{i}", (await sub.ExpectPublishPacketAsync()).Topic);
        }
    }

    [Fact]
    public async Task MQTT311_4_8_0_2_transient_error_while_handling_a_packet_closes_that_connection()
    {
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = new ThrowingAuthorizer());
        await using RawClient other = await broker.ConnectAsync("other", V311);
        await other.SubscribeAsync("t", QoS0);
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(new PublishPacket { Topic = Wire.Text("boom"), Payload = Wire.Text("p"), QoS = QoS1, PacketId = 1 });
        await client.ExpectClosedAsync();
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("t", "fine", QoS1);
        Assert.Equal("fine", (await other.ExpectPublishPacketAsync()).PayloadText);
    }

    /// <summary>
    /// A connection taken over handles none of the packets it still had, though 3.1.1 has no DISCONNECT to close with
    /// (before, only an MQTT 5 connection stopped: a 3.1.1 one routed them on the session its successor had resumed,
    /// which could deliver a QoS 2 message twice).
    /// </summary>
    [Fact]
    public async Task MQTT311_3_1_4_2_a_connection_taken_over_handles_nothing_more()
    {
        var check = new HeldCheck("slow");
        await using var broker = await TestBroker.StartAsync(o => o.Authorizer = check);
        await using RawClient watcher = await broker.ConnectAsync("watcher", V311);
        await watcher.SubscribeAsync("slow", QoS0);
        await watcher.SubscribeAsync("after", QoS0);
        await using RawClient old = await broker.ConnectAsync("same", V311, cleanStart: false);
        var batch = new List<byte>();
        batch.AddRange(Wire.Encode(new PublishPacket { Topic = Wire.Text("slow"), Payload = Wire.Text("1") }, ProtocolVersion.V311));
        batch.AddRange(Wire.Encode(new PublishPacket { Topic = Wire.Text("after"), Payload = Wire.Text("2") }, ProtocolVersion.V311));
        await old.SendAsync(batch.ToArray());
        await check.Entered.WaitAsync(TimeSpan.FromSeconds(5));

        await using RawClient newer = await broker.ConnectAsync("same", V311, cleanStart: false);
        check.Release();

        await old.ExpectClosedAsync();
        await broker.WaitForOpenConnectionsAsync(2); // the old connection's read loop has ended
        await watcher.ExpectNothingPendingAsync();
    }

    /// <summary>Publishing to <paramref name="topic"/> waits until the test releases it.</summary>
    private sealed class HeldCheck(string topic) : IAuthorizer
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public void Release() => _released.TrySetResult();

        public async ValueTask<bool> CanPublishAsync(ClientInfo client, string name)
        {
            if (name == topic)
            {
                _entered.TrySetResult();
                await _released.Task;
            }
            return true;
        }

        public ValueTask<bool> CanSubscribeAsync(ClientInfo client, string filter) => new(true);

        public bool CanReceive(ClientInfo client, string name) => true;
    }

    private sealed class ThrowingAuthorizer : IAuthorizer
    {
        public ValueTask<bool> CanPublishAsync(ClientInfo client, string topic) =>
            topic == "boom" ? throw new InvalidOperationException("authorization backend unavailable") : new(true);

        public ValueTask<bool> CanSubscribeAsync(ClientInfo client, string filter) => new(true);

        public bool CanReceive(ClientInfo client, string topic) => true;
    }
}
