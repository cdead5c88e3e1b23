using System.Net;
using System.Security.Cryptography.X509Certificates;
using Mqtt.Broker;

namespace Mqtt.Client.Tests;

/// <summary>Our broker (src/Mqtt.Broker) in-process, anonymous, on 127.0.0.1 and a port the system chose.</summary>
public sealed class OurBroker : IBroker
{
    private OurBroker(MqttBroker broker)
    {
        Broker = broker;
        foreach ((IPEndPoint endPoint, bool isTls, bool isWebSocket) in broker.Endpoints)
        {
            if (isWebSocket)
            {
                WebSocketPort = endPoint.Port;
            }
            else if (isTls)
            {
                TlsPort = endPoint.Port;
            }
            else
            {
                Port = endPoint.Port;
            }
        }
    }

    public string Name => "ours";

    /// <summary>The plain TCP port (0 when there is none).</summary>
    public int Port { get; }

    /// <summary>The TLS port (0 when there is none).</summary>
    public int TlsPort { get; }

    /// <summary>The MQTT over WebSocket port, plain or TLS (0 when there is none).</summary>
    public int WebSocketPort { get; }

    public MqttBroker Broker { get; }

    /// <summary>Starts a broker with a plain listener, and a TLS one when <paramref name="certificate"/> is given.</summary>
    public static async Task<OurBroker> StartAsync(Action<BrokerOptions>? configure = null, X509Certificate2? certificate = null)
    {
        var options = new BrokerOptions { AllowAnonymous = true, SysInterval = TimeSpan.Zero };
        options.Listeners.Add(new IPEndPoint(IPAddress.Loopback, 0));
        if (certificate is not null)
        {
            options.TlsListeners.Add(new IPEndPoint(IPAddress.Loopback, 0));
            options.Certificate = certificate;
        }
        configure?.Invoke(options);
        var broker = new MqttBroker(options);
        await broker.StartAsync();
        return new OurBroker(broker);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Broker.StopAsync().WaitAsync(timeout.Token);
    }
}
