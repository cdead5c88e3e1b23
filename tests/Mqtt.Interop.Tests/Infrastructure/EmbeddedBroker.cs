using System.Net;
using Mqtt.Broker;

namespace Mqtt.Interop.Tests;

/// <summary>Our broker in the test process, on 127.0.0.1 and a port the OS picks.</summary>
internal sealed class EmbeddedBroker : IAsyncDisposable
{
    private EmbeddedBroker(MqttBroker broker)
    {
        Broker = broker;
    }

    public MqttBroker Broker { get; }

    public int Port => Broker.Endpoints[0].EndPoint.Port;

    public static async Task<EmbeddedBroker> StartAsync(Action<BrokerOptions>? configure = null)
    {
        var options = new BrokerOptions { AllowAnonymous = true, SysInterval = TimeSpan.Zero };
        options.Listeners.Add(new IPEndPoint(IPAddress.Loopback, 0));
        configure?.Invoke(options);
        var broker = new MqttBroker(options);
        await broker.StartAsync();
        return new EmbeddedBroker(broker);
    }

    /// <summary>Waits until the broker has fully closed connections (Will published, session detached).</summary>
    public Task UntilConnectionsAsync(long open) =>
        Waits.UntilAsync(() => Broker.Statistics.ConnectionsOpen == open, $"{open} open connections");

    public async ValueTask DisposeAsync() => await Broker.StopAsync().WaitAsync(Waits.Expected);
}
