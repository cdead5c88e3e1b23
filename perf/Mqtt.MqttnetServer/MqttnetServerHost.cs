using System.Net;
using MQTTnet.Server;

namespace Mqtt.MqttnetServer;

/// <summary>
/// The MQTTnet 5.2 server on 127.0.0.1, anonymous, with limits set like our broker's defaults (BrokerOptions) so
/// that perf/compare.sh compares like with like; optionally accepting one SCRAM user too.
/// </summary>
/// <remarks>
/// What is set, and why:
/// <list type="bullet">
/// <item>at most 1,000 messages pending per client, new ones dropped when full: ours queues 1,000 QoS 1/2 messages
/// per session and 1,000 QoS 0 messages per slow connection and drops new QoS 0 ones (MQTTnet has one queue for both,
/// and drops the oldest by default);</item>
/// <item>listen backlog 512, as ours (MQTTnet's default is 100, which a connection storm overflows);</item>
/// <item>10 s to finish CONNECT and any AUTH exchange, as ours (MQTTnet's default communication timeout is 100 s);</item>
/// <item>persistent sessions on, as ours (MQTT 5 Session Expiry honoured), Nagle off (MQTTnet's default, as ours).</item>
/// </list>
/// MQTTnet has no setting for a maximum packet size, a Receive Maximum towards clients or a connection cap, so
/// ours' 1 MiB, 100 and 100,000 have no counterpart here.
/// </remarks>
public sealed class MqttnetServerHost : IAsyncDisposable
{
    /// <summary>Our broker's default QoS 1/2 queue per session (BrokerOptions.MaximumQueuedMessages).</summary>
    public const int MaxPendingMessagesPerClient = 1000;

    /// <summary>Our broker's listen backlog (SocketListener).</summary>
    public const int ConnectionBacklog = 512;

    private readonly MqttServer _server;
    private bool _started;

    /// <summary>Creates the server; nothing listens until <see cref="StartAsync"/>.</summary>
    /// <param name="port">TCP port on 127.0.0.1, 1..65535.</param>
    /// <param name="scramLogin">The one SCRAM user accepted besides anonymous clients, or null.</param>
    public MqttnetServerHost(int port, ScramLogin? scramLogin = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        Port = port;
        var factory = new MqttServerFactory();
        MqttServerOptions options = factory.CreateServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointBoundIPV6Address(IPAddress.None)
            .WithDefaultEndpointPort(port)
            .WithConnectionBacklog(ConnectionBacklog)
            .WithMaxPendingMessagesPerClient(MaxPendingMessagesPerClient)
            .WithPendingMessagesOverflowStrategy(MqttPendingMessagesOverflowStrategy.DropNewMessage)
            .WithDefaultCommunicationTimeout(TimeSpan.FromSeconds(10))
            .WithPersistentSessions()
            .Build();
        _server = factory.CreateMqttServer(options);
        if (scramLogin is not null)
        {
            _server.ValidatingConnectionAsync += scramLogin.ValidateAsync;
        }
    }

    /// <summary>The port listened on, on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Starts listening.</summary>
    /// <returns>When the listener is bound.</returns>
    public async Task StartAsync()
    {
        await _server.StartAsync();
        _started = true;
    }

    /// <summary>Stops listening and disconnects every client.</summary>
    /// <returns>When the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            _started = false;
            await _server.StopAsync();
        }
        _server.Dispose();
    }
}
