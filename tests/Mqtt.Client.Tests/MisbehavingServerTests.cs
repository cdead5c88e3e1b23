using System.Buffers;
using Mqtt.Codec;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>
/// A scripted server that breaks the protocol: the client must end with a clear typed exception or the right
/// DISCONNECT, within bounded time, leaving no unobserved task exception behind.
/// </summary>
public sealed class MisbehavingServerTests : IDisposable
{
    private readonly UnobservedClientExceptions _unobserved = new();

    public void Dispose() => _unobserved.Dispose();

    [Fact]
    public async Task Server_that_never_answers_CONNECT_gives_a_timeout()
    {
        await using var server = new FakeServer();
        MqttClientOptions options = Options(server.Port);
        options.ConnectTimeout = TimeSpan.FromMilliseconds(500);
        await using var client = new MqttClient(options);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.ExpectAsync(PacketType.Connect);

        await Assert.ThrowsAsync<MqttTimeoutException>(() => connecting.WaitAsync(Patience));
        Assert.Null(await connection.ReadAsync()); // the client closed the socket
    }

    [Fact]
    public async Task Garbage_instead_of_CONNACK_is_a_malformed_packet_answered_with_DISCONNECT()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(Options(server.Port));
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.ExpectAsync(PacketType.Connect);
        await connection.SendAsync(new byte[] { 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F });

        MqttProtocolException e = await Assert.ThrowsAsync<MqttProtocolException>(() => connecting.WaitAsync(Patience));
        Assert.Equal(ReasonCode.MalformedPacket, e.ReasonCode);
        await ExpectDisconnectAsync(connection, ReasonCode.MalformedPacket);
    }

    [Fact]
    public async Task Connection_closed_in_the_middle_of_the_handshake_is_a_lost_connection()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(Options(server.Port));
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        FakeConnection connection = await server.AcceptAsync();
        await connection.ExpectAsync(PacketType.Connect);
        await connection.SendAsync(new byte[] { 0x20, 0x03, 0x00 }); // half a CONNACK
        await connection.DisposeAsync();

        await Assert.ThrowsAsync<MqttConnectionLostException>(() => connecting.WaitAsync(Patience));
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task A_packet_other_than_CONNACK_first_is_a_protocol_error()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(Options(server.Port));
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.ExpectAsync(PacketType.Connect);
        await connection.SendAsync(w => new PubAckPacket { PacketId = 1 }.Write(w, ProtocolVersion.V500));

        MqttProtocolException e = await Assert.ThrowsAsync<MqttProtocolException>(() => connecting.WaitAsync(Patience));
        Assert.Equal(ReasonCode.ProtocolError, e.ReasonCode);
        await ExpectDisconnectAsync(connection, ReasonCode.ProtocolError);
    }

    [Fact]
    public async Task Refusing_CONNACK_raises_MqttConnectException_with_the_reason_code()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(Options(server.Port));
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.ExpectAsync(PacketType.Connect);
        await connection.SendAsync(w => new ConnAckPacket { ReasonCode = ReasonCode.BadUserNameOrPassword }.Write(w, ProtocolVersion.V500));

        MqttConnectException e = await Assert.ThrowsAsync<MqttConnectException>(() => connecting.WaitAsync(Patience));
        Assert.Equal(ReasonCode.BadUserNameOrPassword, e.Result.ReasonCode);
        Assert.Equal("refused: 0x86 Bad User Name or Password", e.Message);
    }

    [Theory]
    [InlineData(ProtocolVersion.V500)]
    [InlineData(ProtocolVersion.V311)]
    public async Task MQTT5_3_2_2_4_Session_Present_in_answer_to_Clean_Start_is_a_protocol_error(ProtocolVersion version)
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(Options(server.Port, version));
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using FakeConnection connection = await server.AcceptAsync();
        ConnectPacket connect = await connection.AcceptConnectAsync(sessionPresent: true);
        Assert.True(connect.CleanStart);

        MqttProtocolException e = await Assert.ThrowsAsync<MqttProtocolException>(() => connecting.WaitAsync(Patience));
        Assert.Equal(ReasonCode.ProtocolError, e.ReasonCode);
        Assert.False(client.IsConnected);
        if (version == ProtocolVersion.V500)
        {
            await ExpectDisconnectAsync(connection, ReasonCode.ProtocolError);
        }
        else
        {
            Assert.Null(await connection.ReadAsync(Patience)); // 3.1.1 has no DISCONNECT from a client that gives up: it just closes
        }
    }

    [Fact]
    public async Task MQTT5_3_2_2_15_no_DISCONNECT_for_a_violation_when_the_servers_Maximum_Packet_Size_leaves_no_room()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync(new MqttProperties { MaximumPacketSize = 2 }); // DISCONNECT 0x81 takes 3 bytes
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);

        await connection.SendAsync(new byte[] { 0x00, 0x00 }); // packet type 0 is malformed

        MqttDisconnectedEventArgs args = await scripted.Disconnected.WaitAsync(Patience);
        Assert.Equal(ReasonCode.MalformedPacket, Assert.IsType<MqttProtocolException>(args.Exception).ReasonCode);
        Assert.Null(await connection.ReadAsync(Patience)); // closed without a word
    }

    [Fact]
    public async Task MQTT5_3_2_2_15_DisconnectAsync_closes_without_DISCONNECT_when_the_servers_Maximum_Packet_Size_leaves_no_room()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync(new MqttProperties { MaximumPacketSize = 1 });
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);

        await client.DisconnectAsync().WaitAsync(Patience);

        Assert.False(client.IsConnected);
        Assert.Null(await connection.ReadAsync(Patience));
    }

    [Fact]
    public async Task DisconnectAsync_cancelled_before_its_DISCONNECT_still_closes_the_connection()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync();
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.DisconnectAsync(cancellationToken: new CancellationToken(canceled: true)).WaitAsync(Patience));

        Assert.False(client.IsConnected);
        Assert.Null(await connection.ReadAsync(Patience)); // closed, without the DISCONNECT that was given up
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE }, ReasonCode.MalformedPacket)] // not UTF-8
    [InlineData(new byte[] { (byte)'a', (byte)'/', (byte)'+' }, ReasonCode.MalformedPacket)] // wildcard in a Topic Name
    public async Task PUBLISH_with_a_bad_topic_makes_the_client_disconnect(byte[] topic, ReasonCode expected)
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync();
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);

        await connection.SendAsync(w => new PublishPacket { Topic = new ReadOnlySequence<byte>(topic), Payload = new(new byte[] { 1 }) }.Write(w, ProtocolVersion.V500));

        await ExpectDisconnectAsync(connection, expected);
        MqttDisconnectedEventArgs args = await scripted.Disconnected.WaitAsync(Patience);
        Assert.Equal(expected, Assert.IsType<MqttProtocolException>(args.Exception).ReasonCode);
        MqttProtocolException thrown = await Assert.ThrowsAsync<MqttProtocolException>(() => client.ReceiveAsync(1));
        Assert.Equal(expected, thrown.ReasonCode);
    }

    [Fact]
    public async Task Server_exceeding_the_clients_receive_maximum_is_disconnected_with_0x93()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync(configure: o => o.ReceiveMaximum = 2);
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);
        ConnectPacket connect = scripted.Connect;
        Assert.Equal((ushort)2, connect.Properties.ReceiveMaximum);

        for (ushort id = 1; id <= 3; id++)
        {
            // Nobody reads the messages, so none is acknowledged.
            await connection.SendAsync(w => new PublishPacket
            {
                Topic = MqttUtf8.Encode("flood"),
                QoS = QualityOfService.AtLeastOnce,
                PacketId = id,
            }.Write(w, ProtocolVersion.V500));
        }

        await ExpectDisconnectAsync(connection, ReasonCode.ReceiveMaximumExceeded);
    }

    [Fact]
    public async Task Server_DISCONNECT_ends_the_connection_with_its_reason_code()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync();
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);
        Task<MqttPublishResult> publishing = client.PublishAsync("t", Bytes("x"), QualityOfService.AtLeastOnce).AsTask();
        await connection.ExpectAsync(PacketType.Publish);

        await connection.SendAsync(w => new DisconnectPacket { ReasonCode = ReasonCode.ServerShuttingDown }.Write(w, ProtocolVersion.V500));

        MqttDisconnectedEventArgs args = await scripted.Disconnected.WaitAsync(Patience);
        Assert.Equal(ReasonCode.ServerShuttingDown, Assert.IsType<MqttConnectionLostException>(args.Exception).ReasonCode);
        Assert.False(args.WillReconnect);
        await Assert.ThrowsAsync<MqttConnectionLostException>(() => publishing.WaitAsync(Patience));
    }

    [Fact]
    public async Task Silent_server_is_declared_dead_by_keep_alive()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync(configure: o => { o.KeepAlive = TimeSpan.FromSeconds(1); o.PingTimeout = TimeSpan.FromMilliseconds(500); });
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);

        await connection.ExpectAsync(PacketType.PingReq); // and never answered
        MqttDisconnectedEventArgs args = await scripted.Disconnected.WaitAsync(Patience);
        Assert.Equal(ReasonCode.KeepAliveTimeout, Assert.IsType<MqttConnectionLostException>(args.Exception).ReasonCode);
    }

    [Fact]
    public async Task The_servers_receive_maximum_limits_unacknowledged_publications()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync(new MqttProperties { ReceiveMaximum = 2 });
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);

        var sends = new List<Task<MqttPublishResult>>();
        for (int i = 0; i < 3; i++)
        {
            sends.Add(client.PublishAsync("window", Bytes($"{i}"), QualityOfService.AtLeastOnce).AsTask());
        }
        OwnedPacket first = await connection.ExpectAsync(PacketType.Publish);
        await connection.ExpectAsync(PacketType.Publish);
        Assert.Null(await ReadOrNullAsync(connection, TimeSpan.FromMilliseconds(300))); // the third waits for a slot

        Assert.True(PublishPacket.TryRead(first.Frame, ProtocolVersion.V500, out PublishPacket p, out _));
        await connection.SendAsync(w => new PubAckPacket { PacketId = p.PacketId }.Write(w, ProtocolVersion.V500));
        await connection.ExpectAsync(PacketType.Publish);
        Assert.True((await sends[0].WaitAsync(Patience)).IsSuccess);
        await client.DisposeAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => Task.WhenAll(sends).WaitAsync(Patience));
    }

    [Fact]
    public async Task A_PUBLISH_over_the_servers_maximum_packet_size_is_refused_before_sending()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync(new MqttProperties { MaximumPacketSize = 64 });
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);

        MqttException e = await Assert.ThrowsAsync<MqttException>(async () => await client.PublishAsync("big", new byte[100], QualityOfService.AtLeastOnce));
        Assert.Equal(ReasonCode.PacketTooLarge, e.ReasonCode);
        await client.PublishAsync("small", new byte[10], QualityOfService.AtMostOnce);
        OwnedPacket sent = await connection.ExpectAsync(PacketType.Publish);
        Assert.True(PublishPacket.TryRead(sent.Frame, ProtocolVersion.V500, out PublishPacket small, out _));
        Assert.Equal("small", small.TopicString);
    }

    [Fact]
    public async Task Topic_aliases_from_the_server_are_resolved()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync(configure: o => o.TopicAliasMaximum = 4);
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);

        await connection.SendAsync(w => new PublishPacket { Topic = MqttUtf8.Encode("a/b"), Payload = new(Bytes("1")), Properties = new MqttProperties { TopicAlias = 3 } }.Write(w, ProtocolVersion.V500));
        await connection.SendAsync(w => new PublishPacket { Payload = new(Bytes("2")), Properties = new MqttProperties { TopicAlias = 3 } }.Write(w, ProtocolVersion.V500));
        List<MqttApplicationMessage> received = await client.ReceiveAsync(2);
        Assert.Equal(["a/b", "a/b"], received.Select(m => m.Topic).ToArray());

        await connection.SendAsync(w => new PublishPacket { Payload = new(Bytes("3")), Properties = new MqttProperties { TopicAlias = 5 } }.Write(w, ProtocolVersion.V500));
        await ExpectDisconnectAsync(connection, ReasonCode.TopicAliasInvalid);
    }

    [Fact]
    public async Task QoS2_delivery_is_deduplicated_until_PUBREL()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync();
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);
        PublishPacket publish = new() { Topic = MqttUtf8.Encode("exactly"), Payload = new(Bytes("once")), QoS = QualityOfService.ExactlyOnce, PacketId = 7 };

        await connection.SendAsync(w => publish.Write(w, ProtocolVersion.V500));
        Assert.Equal("once", Text((await client.ReceiveAsync(1))[0]));
        await connection.ExpectAsync(PacketType.PubRec);
        await connection.SendAsync(w => publish.WithDuplicate().Write(w, ProtocolVersion.V500));
        await connection.ExpectAsync(PacketType.PubRec); // answered again, not delivered again
        await connection.SendAsync(w => new PubRelPacket { PacketId = 7 }.Write(w, ProtocolVersion.V500));
        await connection.ExpectAsync(PacketType.PubComp);
        await client.AssertNothingReceivedAsync(TimeSpan.FromMilliseconds(300));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task MQTT5_3_8_4_6_SUBACK_without_one_reason_code_per_filter_is_a_protocol_error(int codes)
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync();
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);
        Task<MqttSubscribeResult> subscribing = client.SubscribeAsync("one/filter", QualityOfService.AtLeastOnce);
        OwnedPacket sent = await connection.ExpectAsync(PacketType.Subscribe);
        Assert.True(SubscribePacket.TryRead(sent.Frame, ProtocolVersion.V500, out SubscribePacket subscribe, out _));

        byte[] reasonCodes = Enumerable.Repeat((byte)ReasonCode.GrantedQoS1, codes).ToArray();
        await connection.SendAsync(w => new SubAckPacket { PacketId = subscribe.PacketId, ReasonCodes = new(reasonCodes) }.Write(w, ProtocolVersion.V500));

        await ExpectDisconnectAsync(connection, ReasonCode.ProtocolError);
        await Assert.ThrowsAnyAsync<MqttException>(() => subscribing.WaitAsync(Patience));
    }

    [Fact]
    public async Task MQTT5_3_11_3_1_UNSUBACK_without_one_reason_code_per_filter_is_a_protocol_error()
    {
        await using ScriptedClient scripted = await ScriptedClient.ConnectAsync();
        (MqttClient client, FakeConnection connection) = (scripted.Client, scripted.Connection);
        Task<MqttUnsubscribeResult> unsubscribing = client.UnsubscribeAsync(["a", "b"]);
        OwnedPacket sent = await connection.ExpectAsync(PacketType.Unsubscribe);
        Assert.True(UnsubscribePacket.TryRead(sent.Frame, ProtocolVersion.V500, out UnsubscribePacket unsubscribe, out _));

        await connection.SendAsync(w => new UnsubAckPacket { PacketId = unsubscribe.PacketId, ReasonCodes = new(new[] { (byte)ReasonCode.Success }) }.Write(w, ProtocolVersion.V500));

        await ExpectDisconnectAsync(connection, ReasonCode.ProtocolError);
        await Assert.ThrowsAnyAsync<MqttException>(() => unsubscribing.WaitAsync(Patience));
    }

    private static async Task ExpectDisconnectAsync(FakeConnection connection, ReasonCode expected)
    {
        OwnedPacket? packet;
        do
        {
            packet = await connection.ReadAsync(Patience);
        }
        while (packet is not null && packet.Type != PacketType.Disconnect);
        Assert.True(packet is not null, $"expected DISCONNECT {expected}, the client closed without one");
        Assert.True(DisconnectPacket.TryRead(packet!.Frame, ProtocolVersion.V500, out DisconnectPacket disconnect, out DecodeError error), error.ToString());
        Assert.Equal(expected, disconnect.ReasonCode);
        Assert.Null(await connection.ReadAsync(Patience)); // then the socket closes
    }

    private static async Task<OwnedPacket?> ReadOrNullAsync(FakeConnection connection, TimeSpan wait)
    {
        try
        {
            return await connection.ReadAsync(wait);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}

internal static class PublishPacketTestExtensions
{
    public static PublishPacket WithDuplicate(this PublishPacket p) => new()
    {
        Topic = p.Topic,
        Payload = p.Payload,
        QoS = p.QoS,
        PacketId = p.PacketId,
        Duplicate = true,
        Properties = p.Properties,
    };
}
