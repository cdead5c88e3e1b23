using Mqtt.Codec;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>
/// A client connected to a scripted server that accepted its CONNECT; <see cref="Disconnected"/> completes with the
/// client's first Disconnected event.
/// </summary>
internal sealed class ScriptedClient : IAsyncDisposable
{
    private readonly FakeServer _server;

    private ScriptedClient(FakeServer server, MqttClient client, FakeConnection connection, ConnectPacket connect, Task<MqttDisconnectedEventArgs> disconnected)
    {
        _server = server;
        Client = client;
        Connection = connection;
        Connect = connect;
        Disconnected = disconnected;
    }

    public MqttClient Client { get; }

    public FakeConnection Connection { get; }

    /// <summary>The client's CONNECT.</summary>
    public ConnectPacket Connect { get; }

    public Task<MqttDisconnectedEventArgs> Disconnected { get; }

    /// <summary>Connects a client (<paramref name="configure"/> adjusts its options); the server answers CONNACK with <paramref name="connAck"/>.</summary>
    public static async Task<ScriptedClient> ConnectAsync(MqttProperties connAck = default, Action<MqttClientOptions>? configure = null)
    {
        var server = new FakeServer();
        MqttClientOptions options = Options(server.Port);
        configure?.Invoke(options);
        var client = new MqttClient(options);
        var disconnected = new TaskCompletionSource<MqttDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Disconnected += (_, e) => disconnected.TrySetResult(e);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        FakeConnection connection = await server.AcceptAsync();
        ConnectPacket connect = await connection.AcceptConnectAsync(connAck);
        await connecting.WaitAsync(Patience);
        return new ScriptedClient(server, client, connection, connect, disconnected.Task);
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        await Client.DisposeAsync();
        await _server.DisposeAsync();
    }
}
