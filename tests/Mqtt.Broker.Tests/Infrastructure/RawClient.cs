using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Mqtt.Codec;

namespace Mqtt.Broker.Tests;

/// <summary>
/// A bare MQTT peer over a TCP socket on 127.0.0.1, or over WebSocket on one (<see cref="OpenWebSocketAsync"/>): writes
/// packets built with our codec (or any bytes),
/// reads and decodes what the broker sends. Every read and write is bounded by <see cref="Timeout"/>.
/// Negative checks ("nothing was delivered") use <see cref="ExpectNothingPendingAsync"/>: a PINGREQ whose
/// PINGRESP must be the very next packet, since the broker answers a connection's packets in order.
/// </summary>
internal sealed class RawClient : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly PipeReader _input;
    private readonly List<ReceivedPacket> _stash = [];
    private ushort _lastPacketId;

    private RawClient(Socket socket, Stream stream, ProtocolVersion version, WebSocket? webSocket = null)
    {
        _socket = socket;
        _stream = stream;
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        Version = version;
        WebSocket = webSocket;
    }

    public ProtocolVersion Version { get; set; }

    /// <summary>The WebSocket under the packets, for a client opened with <see cref="OpenWebSocketAsync"/>: each send is one binary message.</summary>
    public WebSocket? WebSocket { get; }

    public static async Task<RawClient> OpenAsync(int port, ProtocolVersion version, int receiveBufferSize = 0)
    {
        Socket socket = await ConnectSocketAsync(port, receiveBufferSize);
        return new RawClient(socket, new NetworkStream(socket, ownsSocket: false), version);
    }

    /// <summary>
    /// Connects over WebSocket (over TLS when <paramref name="tls"/>, trusting any certificate) offering
    /// <paramref name="subprotocols"/>; the broker must answer 101 with the right accept key and subprotocol "mqtt".
    /// </summary>
    public static async Task<RawClient> OpenWebSocketAsync(int port, ProtocolVersion version = ProtocolVersion.V500, bool tls = false,
        string subprotocols = "mqtt", string expectedSubprotocol = "mqtt")
    {
        Socket socket = await ConnectSocketAsync(port, 0);
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        if (tls)
        {
            var ssl = new SslStream(stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
            using var cts = new CancellationTokenSource(Timeout);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, cts.Token);
            stream = ssl;
        }
        string key = WebSocketHandshake.NewKey();
        WebSocketHandshake.Response response = await WebSocketHandshake.ExchangeAsync(stream, WebSocketHandshake.Request(key, subprotocols));
        Assert.Equal(101, response.Status);
        Assert.Equal(WebSocketHandshake.ExpectedAccept(key), response.Header("Sec-WebSocket-Accept"));
        Assert.Equal(expectedSubprotocol, response.Header("Sec-WebSocket-Protocol"));
        WebSocket webSocket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
        {
            IsServer = false,
            SubProtocol = expectedSubprotocol,
            KeepAliveInterval = TimeSpan.Zero,
        });
        return new RawClient(socket, WebSocketStream.Create(webSocket, WebSocketMessageType.Binary, ownsWebSocket: true), version, webSocket);
    }

    private static async Task<Socket> ConnectSocketAsync(int port, int receiveBufferSize)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize > 0)
        {
            socket.ReceiveBufferSize = receiveBufferSize;
        }
        using var cts = new CancellationTokenSource(Timeout);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        return socket;
    }

    public ushort NextPacketId()
    {
        _lastPacketId = _lastPacketId == ushort.MaxValue ? (ushort)1 : (ushort)(_lastPacketId + 1);
        return _lastPacketId;
    }

    // ---- sending ----

    public Task SendAsync(ReadOnlyMemory<byte> bytes) => SendAsync(bytes, Timeout);

    /// <summary>Sends, waiting up to <paramref name="timeout"/> for the broker to take the bytes (it may have stopped reading).</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> bytes, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _stream.WriteAsync(bytes, cts.Token);
    }

    public Task SendAsync(ConnectPacket packet) => SendAsync(Wire.Encode(packet));

    public Task SendAsync(PublishPacket packet) => SendAsync(Wire.Encode(packet, Version));

    public Task SendAsync(SubscribePacket packet) => SendAsync(Wire.Encode(packet, Version));

    public Task SendAsync(UnsubscribePacket packet) => SendAsync(Wire.Encode(packet, Version));

    public Task SendAsync(DisconnectPacket packet) => SendAsync(Wire.Encode(packet, Version));

    public Task SendAsync(AuthPacket packet) => SendAsync(Wire.Encode(packet));

    public Task SendAckAsync(PacketType type, ushort packetId, ReasonCode reasonCode = ReasonCode.Success) =>
        SendAsync(Wire.Ack(type, packetId, reasonCode, Version));

    public Task SendPingAsync() => SendAsync(new byte[] { 0xC0, 0x00 });

    public Task SendConnectAsync(string clientId, bool cleanStart = true, ushort keepAlive = 0, MqttProperties properties = default,
        WillMessage? will = null, string? userName = null, byte[]? password = null) =>
        SendAsync(Wire.Connect(clientId, Version, cleanStart, keepAlive, properties, will, userName, password));

    /// <summary>CONNECT and expect CONNACK 0x00.</summary>
    public async Task<ConnAckPacket> ConnectAsync(string clientId, bool cleanStart = true, ushort keepAlive = 0, MqttProperties properties = default,
        WillMessage? will = null, string? userName = null, byte[]? password = null)
    {
        await SendConnectAsync(clientId, cleanStart, keepAlive, properties, will, userName, password);
        return await ExpectConnAckAsync(ReasonCode.Success);
    }

    /// <summary>PUBLISH and, for QoS 1 and 2, complete the flow; returns the PUBACK or PUBREC Reason Code.</summary>
    public Task<ReasonCode> PublishAsync(string topic, string payload = "x", QualityOfService qos = QualityOfService.AtMostOnce,
        bool retain = false, MqttProperties properties = default, bool duplicate = false) =>
        PublishAsync(topic, Encoding.UTF8.GetBytes(payload), qos, retain, properties, duplicate);

    public async Task<ReasonCode> PublishAsync(string topic, byte[] payload, QualityOfService qos = QualityOfService.AtMostOnce,
        bool retain = false, MqttProperties properties = default, bool duplicate = false)
    {
        ushort id = qos == QualityOfService.AtMostOnce ? (ushort)0 : NextPacketId();
        await SendAsync(new PublishPacket
        {
            Topic = Wire.Text(topic),
            Payload = new ReadOnlySequence<byte>(payload),
            QoS = qos,
            Retain = retain,
            Duplicate = duplicate,
            PacketId = id,
            Properties = properties,
        });
        switch (qos)
        {
            case QualityOfService.AtLeastOnce:
                PubAckPacket ack = (await ReadUntilAsync(PacketType.PubAck)).PubAck;
                Assert.Equal(id, ack.PacketId);
                return ack.ReasonCode;
            case QualityOfService.ExactlyOnce:
                PubRecPacket rec = (await ReadUntilAsync(PacketType.PubRec)).PubRec;
                Assert.Equal(id, rec.PacketId);
                if (rec.ReasonCode >= ReasonCode.UnspecifiedError)
                {
                    return rec.ReasonCode;
                }
                await SendAckAsync(PacketType.PubRel, id);
                PubCompPacket comp = (await ReadUntilAsync(PacketType.PubComp)).PubComp;
                Assert.Equal(id, comp.PacketId);
                return rec.ReasonCode;
            default:
                return ReasonCode.Success;
        }
    }

    /// <summary>SUBSCRIBE one filter; returns the SUBACK Reason Codes.</summary>
    public Task<byte[]> SubscribeAsync(string filter, QualityOfService qos = QualityOfService.AtMostOnce, bool noLocal = false,
        bool retainAsPublished = false, RetainHandling retainHandling = RetainHandling.SendOnSubscribe, int subscriptionIdentifier = 0) =>
        SubscribeAsync([new Subscription(Wire.Text(filter), qos, noLocal, retainAsPublished, retainHandling)], subscriptionIdentifier);

    public async Task<byte[]> SubscribeAsync(Subscription[] subscriptions, int subscriptionIdentifier = 0)
    {
        ushort id = NextPacketId();
        var properties = new MqttProperties();
        if (subscriptionIdentifier != 0)
        {
            properties.SubscriptionIdentifiers = SubscriptionIdentifiers.Create(subscriptionIdentifier);
        }
        await SendAsync(new SubscribePacket { PacketId = id, Properties = properties, Subscriptions = SubscriptionList.Create(subscriptions) });
        SubAckPacket ack = (await ReadUntilAsync(PacketType.SubAck)).SubAck;
        Assert.Equal(id, ack.PacketId);
        return ack.ReasonCodes.ToArray();
    }

    /// <summary>UNSUBSCRIBE; returns the UNSUBACK payload (Reason Codes in MQTT 5, empty in 3.1.1).</summary>
    public async Task<byte[]> UnsubscribeAsync(params string[] filters)
    {
        ushort id = NextPacketId();
        await SendAsync(new UnsubscribePacket { PacketId = id, TopicFilters = TopicFilterList.Create(filters) });
        UnsubAckPacket ack = (await ReadUntilAsync(PacketType.UnsubAck)).UnsubAck;
        Assert.Equal(id, ack.PacketId);
        return ack.ReasonCodes.ToArray();
    }

    /// <summary>Ends this side's sending (a TCP half-close): the broker reads end of input, and this client can still read.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Closes the socket without DISCONNECT: an unclean drop as the broker sees it.</summary>
    public void Drop()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        _socket.Close();
    }

    // ---- receiving ----

    /// <summary>The next packet, or null when the broker closed the connection. Fails after <paramref name="timeout"/>.</summary>
    public async Task<ReceivedPacket?> ReadAsync(TimeSpan? timeout = null)
    {
        if (_stash.Count > 0)
        {
            ReceivedPacket first = _stash[0];
            _stash.RemoveAt(0);
            return first;
        }
        TimeSpan limit = timeout ?? Timeout;
        using var cts = new CancellationTokenSource(limit);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await _input.ReadAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"nothing from the broker within {limit.TotalSeconds} s");
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or WebSocketException)
            {
                return null;
            }
            ReadOnlySequence<byte> buffer = result.Buffer;
            DecodeStatus status = MqttFrameReader.TryRead(buffer, int.MaxValue, out MqttFrame frame, out DecodeError error);
            if (status == DecodeStatus.Complete)
            {
                var packet = new ReceivedPacket(frame.Type, frame.Flags, frame.HeaderLength, frame.Body.ToArray(), Version);
                _input.AdvanceTo(buffer.GetPosition(frame.Length));
                return packet;
            }
            if (status == DecodeStatus.Invalid)
            {
                _input.AdvanceTo(buffer.Start);
                throw new InvalidDataException($"the broker sent bytes that are not a packet: {error}");
            }
            _input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return null;
            }
        }
    }

    /// <summary>Reads until a packet of <paramref name="type"/>; others are kept, in order, for later reads.</summary>
    public async Task<ReceivedPacket> ReadUntilAsync(PacketType type, TimeSpan? timeout = null)
    {
        int index = _stash.FindIndex(p => p.Type == type);
        if (index >= 0)
        {
            ReceivedPacket found = _stash[index];
            _stash.RemoveAt(index);
            return found;
        }
        var skipped = new List<ReceivedPacket>(_stash);
        _stash.Clear();
        try
        {
            for (int i = 0; i < 10_000; i++)
            {
                ReceivedPacket? packet = await ReadAsync(timeout);
                Assert.True(packet is not null, $"the broker closed the connection while {type} was expected");
                if (packet.Type == type)
                {
                    return packet;
                }
                skipped.Add(packet);
            }
            throw new InvalidOperationException($"no {type} among 10,000 packets");
        }
        finally
        {
            _stash.InsertRange(0, skipped);
        }
    }

    /// <summary>Expects QoS 1 PUBLISHes with payloads "0", "1" ... in that order, acknowledging each.</summary>
    public async Task ExpectPayloadsInOrderAsync(int count)
    {
        for (int i = 0; i < count; i++)
        {
            ReceivedPacket p = await ExpectPublishPacketAsync();
            Assert.Equal($"{i}", p.PayloadText);
            await SendAckAsync(PacketType.PubAck, p.Publish.PacketId);
        }
    }

    /// <summary>Puts a packet back so the next read returns it.</summary>
    public void Unread(ReceivedPacket packet) => _stash.Insert(0, packet);

    public async Task<ReceivedPacket> ExpectAsync(PacketType type, TimeSpan? timeout = null)
    {
        ReceivedPacket? packet = await ReadAsync(timeout);
        Assert.True(packet is not null, $"the broker closed the connection while {type} was expected");
        Assert.True(packet.Type == type, $"expected {type}, got {packet}");
        return packet;
    }

    public async Task<ConnAckPacket> ExpectConnAckAsync(ReasonCode expected)
    {
        ConnAckPacket connAck = (await ExpectAsync(PacketType.ConnAck)).ConnAck;
        Assert.Equal(expected, connAck.ReasonCode);
        return connAck;
    }

    public async Task<PublishPacket> ExpectPublishAsync(TimeSpan? timeout = null) => (await ExpectAsync(PacketType.Publish, timeout)).Publish;

    public async Task<ReceivedPacket> ExpectPublishPacketAsync(TimeSpan? timeout = null) => await ExpectAsync(PacketType.Publish, timeout);

    /// <summary>DISCONNECT with <paramref name="expected"/>, then the connection closes with nothing after it [MQTT-3.14.4-1] [MQTT-3.14.4-2].</summary>
    public async Task<DisconnectPacket> ExpectDisconnectAsync(ReasonCode expected, TimeSpan? timeout = null)
    {
        DisconnectPacket disconnect = (await ExpectAsync(PacketType.Disconnect, timeout)).Disconnect;
        Assert.Equal(expected, disconnect.ReasonCode);
        if (expected is ReasonCode.MalformedPacket or ReasonCode.ProtocolError or ReasonCode.TopicAliasInvalid or ReasonCode.ReceiveMaximumExceeded)
        {
            // docs/broker.md, "Bad input": a broken rule is named in the Reason String (a test with a tiny Maximum
            // Packet Size, where it would not fit, says so with ExpectDisconnectWithoutReasonStringAsync).
            Assert.False(disconnect.Properties.ReasonString is null, $"DISCONNECT 0x{(byte)expected:X2} names no rule in a Reason String");
        }
        await ExpectClosedAsync();
        return disconnect;
    }

    /// <summary>The broker closes the connection and sends nothing (more) before it.</summary>
    public async Task ExpectClosedAsync(TimeSpan? timeout = null)
    {
        ReceivedPacket? packet = await ReadAsync(timeout);
        Assert.True(packet is null, $"expected the broker to close the connection, got {packet}");
    }

    /// <summary>
    /// After end of stream, sends nothing and waits until the socket reports an error (SO_ERROR), which a reset from the
    /// broker sets; false when <paramref name="timeout"/> passes first. (Reads would not tell: they go on returning end
    /// of stream.)
    /// </summary>
    public async Task<bool> ResetWithinAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!deadline.IsCancellationRequested)
        {
            if (_socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error) is int error && error != 0)
            {
                return true;
            }
            await Task.Delay(50, CancellationToken.None);
        }
        return false;
    }

    /// <summary>Nothing is waiting for this client: a PINGREQ's PINGRESP is the very next packet [MQTT-3.12.4-1].</summary>
    public async Task ExpectNothingPendingAsync()
    {
        await SendPingAsync();
        ReceivedPacket? packet = await ReadAsync();
        Assert.True(packet is not null, "the broker closed the connection instead of answering PINGREQ");
        Assert.True(packet.Type == PacketType.PingResp, $"expected nothing pending, got {packet}");
    }

    /// <summary>Every packet this client sent before has been processed by the broker (a PINGREQ round trip).</summary>
    public async Task SyncAsync()
    {
        await SendPingAsync();
        await ReadUntilAsync(PacketType.PingResp);
    }

    public async ValueTask DisposeAsync()
    {
        await _input.CompleteAsync();
        Drop();
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}
