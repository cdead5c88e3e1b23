using System.Net;
using Microsoft.Extensions.Logging;
using Mqtt.Codec;

namespace Mqtt.Broker.Tests;

/// <summary>A broker on 127.0.0.1 port 0 with test-friendly options (anonymous allowed, no $SYS), stopped on dispose.</summary>
internal sealed class TestBroker : IAsyncDisposable
{
    private TestBroker(MqttBroker broker)
    {
        Broker = broker;
        Port = broker.Endpoints[0].EndPoint.Port;
    }

    public MqttBroker Broker { get; }

    public int Port { get; }

    public BrokerStatistics Statistics => Broker.Statistics;

    /// <summary>The port of the first listener with <paramref name="scheme"/> (mqtt, mqtts, ws, wss).</summary>
    public int PortOf(string scheme) => Broker.Endpoints.First(e => e.Scheme == scheme).EndPoint.Port;

    public static async Task<TestBroker> StartAsync(Action<BrokerOptions>? configure = null, ILogger? logger = null)
    {
        var options = new BrokerOptions { AllowAnonymous = true, SysInterval = TimeSpan.Zero };
        configure?.Invoke(options);
        options.Listeners.Add(new IPEndPoint(IPAddress.Loopback, 0));
        var broker = new MqttBroker(options, logger);
        // Started off the test framework's synchronization context so broker continuations run on the thread pool.
        await Task.Run(() => broker.StartAsync());
        return new TestBroker(broker);
    }

    public Task<RawClient> OpenAsync(ProtocolVersion version = ProtocolVersion.V500, int receiveBufferSize = 0) =>
        RawClient.OpenAsync(Port, version, receiveBufferSize);

    /// <summary>Opens a connection and completes CONNECT with CONNACK 0x00.</summary>
    public async Task<RawClient> ConnectAsync(string clientId, ProtocolVersion version = ProtocolVersion.V500, bool cleanStart = true,
        ushort keepAlive = 0, MqttProperties properties = default, WillMessage? will = null)
    {
        RawClient client = await OpenAsync(version);
        await client.ConnectAsync(clientId, cleanStart, keepAlive, properties, will);
        return client;
    }

    /// <summary>Waits (bounded) until the broker has finished with closed connections: Will published, session detached.</summary>
    public Task WaitForOpenConnectionsAsync(long count) =>
        Eventually.TrueAsync(() => Statistics.ConnectionsOpen == count, $"broker to have {count} open connections");

    public async ValueTask DisposeAsync() => await Task.Run(() => Broker.StopAsync()).WaitAsync(TimeSpan.FromSeconds(15));
}
