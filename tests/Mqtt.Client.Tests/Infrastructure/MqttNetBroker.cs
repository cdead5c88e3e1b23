using System.Net;
using MQTTnet.Server;

namespace Mqtt.Client.Tests;

/// <summary>The MQTTnet 5 server in-process on a free port, with persistent sessions.</summary>
public sealed class MqttNetBroker : IBroker
{
    private MqttNetBroker(MqttServer server, int port)
    {
        Server = server;
        Port = port;
    }

    public string Name => "mqttnet";

    public int Port { get; }

    public MqttServer Server { get; }

    public static async Task<MqttNetBroker> StartAsync(Action<MqttServer>? configure = null)
    {
        var factory = new MqttServerFactory();
        int port = FreePort.Next();
        MqttServerOptions options = factory.CreateServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointBoundIPV6Address(IPAddress.None)
            .WithDefaultEndpointPort(port)
            .WithPersistentSessions()
            .Build();
        MqttServer server = factory.CreateMqttServer(options);
        configure?.Invoke(server);
        await server.StartAsync();
        await FreePort.WaitUntilAcceptingAsync(port, TimeSpan.FromSeconds(10));
        return new MqttNetBroker(server, port);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.StopAsync();
        Server.Dispose();
    }
}
