using Mqtt.Codec;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>Client bugs a black-box probe found on 2026-11-28, one test each, every one failing before its fix.</summary>
public sealed class ClientProbeTests : IDisposable
{
    private readonly UnobservedClientExceptions _unobserved = new();

    public void Dispose() => _unobserved.Dispose();

    /// <summary>
    /// DisposeAsync ends a ConnectAsync still waiting for CONNACK at once, with ObjectDisposedException. Before, it waited
    /// the whole ConnectTimeout and then reported a timeout.
    /// </summary>
    [Fact]
    public async Task DisposeAsync_ends_a_ConnectAsync_waiting_for_CONNACK_with_ObjectDisposedException()
    {
        await using var server = new FakeServer();
        MqttClientOptions options = Options(server.Port);
        options.ConnectTimeout = TimeSpan.FromMinutes(10);
        var client = new MqttClient(options);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.ExpectAsync(PacketType.Connect);

        await client.DisposeAsync().AsTask().WaitAsync(Patience);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => connecting.WaitAsync(Patience));
    }

    /// <summary>
    /// DisconnectAsync ends a ConnectAsync still waiting for CONNACK at once, with MqttConnectionLostException saying so,
    /// and the client can connect again. Before, ConnectAsync waited the whole ConnectTimeout.
    /// </summary>
    [Fact]
    public async Task DisconnectAsync_ends_a_ConnectAsync_waiting_for_CONNACK_at_once()
    {
        await using var server = new FakeServer();
        MqttClientOptions options = Options(server.Port);
        options.ConnectTimeout = TimeSpan.FromMinutes(10);
        await using var client = new MqttClient(options);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using (FakeConnection first = await server.AcceptAsync())
        {
            await first.ExpectAsync(PacketType.Connect);

            await client.DisconnectAsync().WaitAsync(Patience);

            MqttConnectionLostException e = await Assert.ThrowsAsync<MqttConnectionLostException>(() => connecting.WaitAsync(Patience));
            Assert.Contains("disconnected while connecting", e.Message);
        }

        connecting = client.ConnectAsync();
        await using FakeConnection second = await server.AcceptAsync();
        await second.AcceptConnectAsync();
        await connecting.WaitAsync(Patience);
    }

    /// <summary>
    /// Assigning or removing MessageReceived while connected throws: the dispatcher starts with the connection, so a
    /// handler set later was never called, and once 1,024 messages were queued unread the client stopped reading the
    /// socket (a later QoS 1 publication then hung). After DisconnectAsync it can be set again.
    /// </summary>
    [Fact]
    public async Task MessageReceived_cannot_change_while_connected()
    {
        await using var server = new FakeServer();
        await using var client = new MqttClient(Options(server.Port));
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.AcceptConnectAsync();
        await connecting.WaitAsync(Patience);

        Assert.Throws<InvalidOperationException>(() => client.MessageReceived = (_, _) => Task.CompletedTask);
        Assert.Throws<InvalidOperationException>(() => client.MessageReceived = null);

        await client.DisconnectAsync().WaitAsync(Patience);
        client.MessageReceived = (_, _) => Task.CompletedTask;
    }
}
