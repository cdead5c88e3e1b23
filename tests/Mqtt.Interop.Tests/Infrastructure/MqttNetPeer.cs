using System.Buffers;
using System.Net;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Mqtt.Interop.Tests;

/// <summary>
/// An MQTTnet 5 client connected to a broker under test, with everything it receives queued for the test to
/// read in order (bounded waits only).
/// </summary>
internal sealed class MqttNetPeer : IAsyncDisposable
{
    private static readonly MqttClientFactory Factory = new();
    private readonly Channel<ReceivedMessage> _received = Channel.CreateUnbounded<ReceivedMessage>();
    private readonly TaskCompletionSource<MqttClientDisconnectedEventArgs> _disconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private MqttNetPeer(IMqttClient client, KillableStreamProvider? stream)
    {
        Client = client;
        Stream = stream;
        client.ApplicationMessageReceivedAsync += e =>
        {
            e.AutoAcknowledge = Acknowledge;
            MqttApplicationMessage m = e.ApplicationMessage;
            _received.Writer.TryWrite(new ReceivedMessage(m, m.Payload.ToArray(), e));
            return Task.CompletedTask;
        };
        client.DisconnectedAsync += e =>
        {
            _disconnected.TrySetResult(e);
            return Task.CompletedTask;
        };
    }

    public IMqttClient Client { get; }

    public KillableStreamProvider? Stream { get; }

    /// <summary>False leaves QoS 1/2 messages unacknowledged (no PUBACK/PUBREC), to test redelivery.</summary>
    public bool Acknowledge { get; set; } = true;

    public MqttClientConnectResult ConnectResult { get; private set; } = null!;

    /// <summary>The DISCONNECT (or loss of connection) the client saw.</summary>
    public Task<MqttClientDisconnectedEventArgs> Disconnected => _disconnected.Task;

    public static MqttClientOptionsBuilder Options(int port, string clientId, MqttProtocolVersion version = MqttProtocolVersion.V500) =>
        new MqttClientOptionsBuilder()
            .WithEndPoint(new IPEndPoint(IPAddress.Loopback, port))
            .WithClientId(clientId)
            .WithProtocolVersion(version)
            .WithTimeout(Waits.Expected);

    /// <summary>Connects and requires CONNACK Success.</summary>
    public static async Task<MqttNetPeer> ConnectAsync(int port, string clientId, Action<MqttClientOptionsBuilder>? configure = null,
        MqttProtocolVersion version = MqttProtocolVersion.V500, bool killable = false)
    {
        MqttNetPeer peer = await TryConnectAsync(port, clientId, configure, version, killable);
        Assert.Equal(MqttClientConnectResultCode.Success, peer.ConnectResult.ResultCode);
        return peer;
    }

    /// <summary>Connects and returns whatever CONNACK said.</summary>
    public static async Task<MqttNetPeer> TryConnectAsync(int port, string clientId, Action<MqttClientOptionsBuilder>? configure = null,
        MqttProtocolVersion version = MqttProtocolVersion.V500, bool killable = false)
    {
        MqttClientOptionsBuilder builder = Options(port, clientId, version);
        KillableStreamProvider? stream = killable ? new KillableStreamProvider() : null;
        if (stream is not null)
        {
            builder.WithStreamProvider(stream);
        }
        configure?.Invoke(builder);
        return await TryConnectAsync(builder, stream);
    }

    /// <summary>Connects over WebSocket to <paramref name="uri"/> (ws:// or wss://) and requires CONNACK Success.</summary>
    public static async Task<MqttNetPeer> ConnectOverWebSocketAsync(string uri, string clientId, MqttProtocolVersion version = MqttProtocolVersion.V500)
    {
        // A builder of its own: MQTTnet uses a TCP endpoint, when one is set, instead of the WebSocket.
        MqttClientOptionsBuilder builder = new MqttClientOptionsBuilder()
            .WithWebSocketServer(o => o.WithUri(uri))
            .WithClientId(clientId)
            .WithProtocolVersion(version)
            .WithTimeout(Waits.Expected);
        MqttNetPeer peer = await TryConnectAsync(builder, stream: null);
        Assert.Equal(MqttClientConnectResultCode.Success, peer.ConnectResult.ResultCode);
        return peer;
    }

    private static async Task<MqttNetPeer> TryConnectAsync(MqttClientOptionsBuilder builder, KillableStreamProvider? stream)
    {
        var peer = new MqttNetPeer(Factory.CreateMqttClient(), stream);
        using var timeout = new CancellationTokenSource(Waits.Expected);
        peer.ConnectResult = await peer.Client.ConnectAsync(builder.Build(), timeout.Token);
        return peer;
    }

    public async Task SubscribeAsync(string filter, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce)
    {
        MqttClientSubscribeResult result = await Client.SubscribeAsync(
            Factory.CreateSubscribeOptionsBuilder().WithTopicFilter(f => f.WithTopic(filter).WithQualityOfServiceLevel(qos)).Build());
        Assert.Equal((int)qos, (int)Assert.Single(result.Items).ResultCode);
    }

    public async Task<MqttClientSubscribeResult> SubscribeAsync(MqttClientSubscribeOptions options)
    {
        using var timeout = new CancellationTokenSource(Waits.Expected);
        return await Client.SubscribeAsync(options, timeout.Token);
    }

    public async Task<MqttClientPublishResult> PublishAsync(string topic, string payload,
        MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce, bool retain = false)
    {
        using var timeout = new CancellationTokenSource(Waits.Expected);
        return await Client.PublishStringAsync(topic, payload, qos, retain, timeout.Token);
    }

    public async Task<MqttClientPublishResult> PublishAsync(MqttApplicationMessage message)
    {
        using var timeout = new CancellationTokenSource(Waits.Expected);
        return await Client.PublishAsync(message, timeout.Token);
    }

    /// <summary>The next message received, waiting at most <see cref="Waits.Expected"/>.</summary>
    public async Task<ReceivedMessage> NextAsync()
    {
        using var timeout = new CancellationTokenSource(Waits.Expected);
        try
        {
            return await _received.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Client.Options?.ClientId} received nothing within {Waits.Expected.TotalSeconds} s");
        }
    }

    /// <summary>The next <paramref name="count"/> messages, in arrival order.</summary>
    public async Task<List<ReceivedMessage>> NextAsync(int count)
    {
        var messages = new List<ReceivedMessage>(count);
        for (int i = 0; i < count; i++)
        {
            messages.Add(await NextAsync());
        }
        return messages;
    }

    /// <summary>Messages already received and not yet read.</summary>
    public List<ReceivedMessage> Drain()
    {
        var messages = new List<ReceivedMessage>();
        while (_received.Reader.TryRead(out ReceivedMessage? message))
        {
            messages.Add(message);
        }
        return messages;
    }

    /// <summary>
    /// Everything received until a marker round-trips through the broker to this client (a PUBLISH, via
    /// <paramref name="via"/>, to a topic only this client subscribes). Ordering on one connection makes that
    /// every message the broker had already routed to this client, with no sleep.
    /// </summary>
    public async Task<List<ReceivedMessage>> ReceiveUntilMarkerAsync(MqttNetPeer via)
    {
        string marker = $"marker/{Guid.NewGuid():N}";
        await SubscribeAsync(marker, MqttQualityOfServiceLevel.AtLeastOnce);
        await via.PublishAsync(marker, "marker", MqttQualityOfServiceLevel.AtLeastOnce);
        var before = new List<ReceivedMessage>();
        while (await NextAsync() is { } next && next.Topic != marker)
        {
            before.Add(next);
        }
        return before;
    }

    /// <summary>Proves nothing else is on its way (see <see cref="ReceiveUntilMarkerAsync"/>).</summary>
    public async Task ExpectNothingMoreAsync(MqttNetPeer via)
    {
        List<ReceivedMessage> unexpected = await ReceiveUntilMarkerAsync(via);
        Assert.True(unexpected.Count == 0, $"unexpected: {string.Join(", ", unexpected)}");
    }

    public async Task DisconnectAsync(MqttClientDisconnectOptionsReason reason = MqttClientDisconnectOptionsReason.NormalDisconnection, uint? sessionExpiry = null)
    {
        using var timeout = new CancellationTokenSource(Waits.Expected);
        var options = new MqttClientDisconnectOptions { Reason = reason };
        if (sessionExpiry is uint expiry)
        {
            options.SessionExpiryInterval = expiry;
        }
        await Client.DisconnectAsync(options, timeout.Token);
    }

    public ValueTask DisposeAsync()
    {
        Client.Dispose();
        return ValueTask.CompletedTask;
    }
}
