using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CsCheck;

namespace Mqtt.Broker.Tests;

/// <summary>MQTT 5.0 section 6 and RFC 6455: MQTT over WebSocket, and the opening handshake that comes before it.</summary>
public sealed class WebSocketTransportTests
{
    private static Task<TestBroker> StartAsync(Action<BrokerOptions>? configure = null) => TestBroker.StartAsync(o =>
    {
        o.WebSocketListeners.Add(new IPEndPoint(IPAddress.Loopback, 0));
        configure?.Invoke(o);
    });

    private static Task<RawClient> OpenAsync(TestBroker broker, ProtocolVersion version = V5) =>
        RawClient.OpenWebSocketAsync(broker.PortOf("ws"), version);

    [Fact]
    public void RFC_6455_4_2_2_accept_key_matches_the_rfc_example()
    {
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketUpgrade.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    [Fact]
    public Task MQTT5_6_0_0_4_server_selects_the_mqtt_subprotocol_among_those_offered() => SelectsMqttAsync(V5);

    [Fact]
    public Task MQTT311_6_0_0_4_server_selects_the_mqtt_subprotocol_among_those_offered() => SelectsMqttAsync(V311);

    private static async Task SelectsMqttAsync(ProtocolVersion version)
    {
        await using var broker = await StartAsync();
        WebSocketHandshake.Response response = await HandshakeAsync(broker, subprotocols: "chat, mqtt");
        Assert.Equal(101, response.Status);
        Assert.Equal("mqtt", response.Header("Sec-WebSocket-Protocol"));
        Assert.Equal("websocket", response.Header("Upgrade"), ignoreCase: true);
        await using RawClient client = await RawClient.OpenWebSocketAsync(broker.PortOf("ws"), version, subprotocols: "chat, mqtt");
        await client.ConnectAsync($"selects-{version}");
    }

    [Fact]
    public async Task An_mqtt_3_1_1_client_offering_mqttv3_1_is_served_with_it()
    {
        await using var broker = await StartAsync();
        await using RawClient client = await RawClient.OpenWebSocketAsync(broker.PortOf("ws"), V311, subprotocols: "mqttv3.1",
            expectedSubprotocol: "mqttv3.1");
        await client.ConnectAsync("old-paho");
        await client.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task A_client_offering_no_subprotocol_is_served_without_one()
    {
        await using var broker = await StartAsync();
        WebSocketHandshake.Response response = await HandshakeAsync(broker, subprotocols: null);
        Assert.Equal(101, response.Status);
        Assert.Null(response.Header("Sec-WebSocket-Protocol"));
    }

    [Fact]
    public async Task A_client_offering_only_other_subprotocols_is_refused_with_400()
    {
        await using var broker = await StartAsync();
        WebSocketHandshake.Response response = await HandshakeAsync(broker, subprotocols: "chat, MQTT");
        Assert.Equal(400, response.Status);
    }

    [Fact]
    public async Task A_request_that_is_not_an_upgrade_is_refused_with_426()
    {
        await using var broker = await StartAsync();
        await using var connection = await TcpConnection.OpenAsync(broker.PortOf("ws"));
        WebSocketHandshake.Response response = await WebSocketHandshake.ExchangeAsync(connection.Stream, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(426, response.Status);
        Assert.Equal("websocket", response.Header("Upgrade"));
        await connection.ExpectClosedAsync();
    }

    [Fact]
    public async Task RFC_6455_4_4_an_unsupported_version_is_refused_with_426_naming_version_13()
    {
        await using var broker = await StartAsync();
        WebSocketHandshake.Response response = await HandshakeAsync(broker, version: "8");
        Assert.Equal(426, response.Status);
        Assert.Equal("13", response.Header("Sec-WebSocket-Version"));
    }

    [Theory]
    [InlineData("not base64 at all!!!!!!!")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public async Task A_key_that_is_not_16_bytes_in_base64_is_refused_with_400(string key)
    {
        await using var broker = await StartAsync();
        await using var connection = await TcpConnection.OpenAsync(broker.PortOf("ws"));
        WebSocketHandshake.Response response = await WebSocketHandshake.ExchangeAsync(connection.Stream, WebSocketHandshake.Request(key));
        Assert.Equal(400, response.Status);
    }

    [Fact]
    public async Task A_request_head_over_8_KiB_is_refused_with_431()
    {
        await using var broker = await StartAsync();
        string padding = $"X-Padding: {new string('a', WebSocketUpgrade.MaximumRequestSize)}\r\n";
        await using var connection = await TcpConnection.OpenAsync(broker.PortOf("ws"));
        WebSocketHandshake.Response response = await WebSocketHandshake.ExchangeAsync(connection.Stream,
            WebSocketHandshake.Request(WebSocketHandshake.NewKey(), extraHeaders: padding));
        Assert.Equal(431, response.Status);
        await connection.ExpectClosedAsync();
    }

    /// <summary>An MQTT client pointed at the WebSocket port is told at once, not left waiting for the CONNECT timeout (a probe).</summary>
    [Fact]
    public async Task Input_that_is_no_upgrade_request_is_refused_with_400_at_once()
    {
        await using var broker = await StartAsync(o => o.ConnectTimeout = TimeSpan.FromMinutes(1));
        await using var connection = await TcpConnection.OpenAsync(broker.PortOf("ws"));
        WebSocketHandshake.Response response = await WebSocketHandshake.ExchangeAsync(connection.Stream,
            Encoding.Latin1.GetString(Wire.Encode(Wire.Connect("not-over-websocket", V5))));
        Assert.Equal(400, response.Status);
        await connection.ExpectClosedAsync();
    }

    [Fact]
    public async Task A_client_that_sends_frames_before_the_answer_is_refused_with_400()
    {
        await using var broker = await StartAsync();
        await using var connection = await TcpConnection.OpenAsync(broker.PortOf("ws"));
        WebSocketHandshake.Response response = await WebSocketHandshake.ExchangeAsync(connection.Stream,
            WebSocketHandshake.Request(WebSocketHandshake.NewKey()) + "\x82\x80abcd");
        Assert.Equal(400, response.Status);
    }

    [Fact]
    public async Task A_handshake_never_finished_is_closed_at_the_connect_timeout()
    {
        await using var broker = await StartAsync(o => o.ConnectTimeout = TimeSpan.FromSeconds(1));
        await using var connection = await TcpConnection.OpenAsync(broker.PortOf("ws"));
        await connection.Stream.WriteAsync("GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\n"u8.ToArray());
        await connection.ExpectClosedAsync(TimeSpan.FromSeconds(10));
        await broker.WaitForOpenConnectionsAsync(0);
    }

    [Fact]
    public Task MQTT5_6_0_0_2_packets_may_span_frames_and_share_one() => PacketsSpanAndShareFramesAsync(V5);

    [Fact]
    public Task MQTT311_6_0_0_2_packets_may_span_frames_and_share_one() => PacketsSpanAndShareFramesAsync(V311);

    private static async Task PacketsSpanAndShareFramesAsync(ProtocolVersion version)
    {
        await using var broker = await StartAsync();
        await using RawClient client = await OpenAsync(broker, version);
        WebSocket webSocket = client.WebSocket!;
        byte[] connect = Wire.Encode(Wire.Connect("split", version));
        // CONNECT in three messages, the last one itself in two fragments.
        await webSocket.SendAsync(connect.AsMemory(0, 3), WebSocketMessageType.Binary, endOfMessage: true, default);
        await webSocket.SendAsync(connect.AsMemory(3, 5), WebSocketMessageType.Binary, endOfMessage: true, default);
        await webSocket.SendAsync(connect.AsMemory(8, 2), WebSocketMessageType.Binary, endOfMessage: false, default);
        await webSocket.SendAsync(connect.AsMemory(10), WebSocketMessageType.Binary, endOfMessage: true, default);
        await client.ExpectConnAckAsync(ReasonCode.Success);
        // SUBSCRIBE and a PUBLISH to it in one message, with an empty message between.
        byte[] subscribe = Wire.Encode(new SubscribePacket { PacketId = 1, Subscriptions = SubscriptionList.Create(new Subscription(Wire.Text("ws/t"), QoS0)) }, version);
        byte[] publish = Wire.Encode(new PublishPacket { Topic = Wire.Text("ws/t"), Payload = Wire.Text("both in one frame") }, version);
        await webSocket.SendAsync(Array.Empty<byte>(), WebSocketMessageType.Binary, endOfMessage: true, default);
        await webSocket.SendAsync((byte[])[.. subscribe, .. publish], WebSocketMessageType.Binary, endOfMessage: true, default);
        await client.ExpectAsync(PacketType.SubAck);
        Assert.Equal("both in one frame", (await client.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task MQTT5_6_0_0_1_the_broker_sends_binary_frames()
    {
        await using var broker = await StartAsync();
        await using var connection = await TcpConnection.OpenAsync(broker.PortOf("ws"));
        string key = WebSocketHandshake.NewKey();
        Assert.Equal(101, (await WebSocketHandshake.ExchangeAsync(connection.Stream, WebSocketHandshake.Request(key))).Status);
        using WebSocket webSocket = WebSocket.CreateFromStream(connection.Stream, new WebSocketCreationOptions { SubProtocol = "mqtt" });
        await webSocket.SendAsync(Wire.Encode(Wire.Connect("binary", V5)), WebSocketMessageType.Binary, endOfMessage: true, default);
        byte[] buffer = new byte[64];
        using var cts = new CancellationTokenSource(RawClient.Timeout);
        ValueWebSocketReceiveResult result = await webSocket.ReceiveAsync(buffer.AsMemory(), cts.Token);
        Assert.Equal(WebSocketMessageType.Binary, result.MessageType);
        Assert.Equal((byte)PacketType.ConnAck << 4, buffer[0]);
    }

    [Fact]
    public Task MQTT5_6_0_0_1_a_text_frame_closes_the_connection() => TextFrameClosesAsync(V5);

    [Fact]
    public Task MQTT311_6_0_0_1_a_text_frame_closes_the_connection() => TextFrameClosesAsync(V311);

    private static async Task TextFrameClosesAsync(ProtocolVersion version)
    {
        await using var broker = await StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using RawClient client = await OpenAsync(broker, version);
        await client.ConnectAsync("texter", will: Wire.Will("wills/texter", "gone"));
        byte[] publish = Wire.Encode(new PublishPacket { Topic = Wire.Text("wills/texter"), Payload = Wire.Text("as text") }, version);
        await client.WebSocket!.SendAsync(publish, WebSocketMessageType.Text, endOfMessage: true, default);
        await client.ExpectClosedAsync();
        // Closed as a network failure: the Will is published, the text frame's PUBLISH is not.
        Assert.Equal("gone", (await watcher.ExpectPublishPacketAsync()).PayloadText);
        await watcher.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task RFC_6455_5_1_an_unmasked_client_frame_is_answered_with_a_close_frame_1002_only()
    {
        await using var broker = await StartAsync();
        await using var connection = await TcpConnection.OpenAsync(broker.PortOf("ws"));
        Assert.Equal(101, (await WebSocketHandshake.ExchangeAsync(connection.Stream, WebSocketHandshake.Request(WebSocketHandshake.NewKey()))).Status);
        byte[] connect = Wire.Encode(Wire.Connect("unmasked", V5));
        await connection.Stream.WriteAsync((byte[])[0x82, (byte)connect.Length, .. connect]);
        byte[] received = await connection.ReadToEndAsync();
        // A close frame saying protocol error (RFC 6455 section 7.1.7), never a binary frame with CONNACK.
        Assert.Equal("880203EA", Convert.ToHexString(received));
    }

    [Fact]
    public async Task RFC_6455_5_5_2_a_ping_is_answered_with_a_pong_carrying_its_payload()
    {
        await using var broker = await StartAsync();
        await using var connection = await TcpConnection.OpenAsync(broker.PortOf("ws"));
        Assert.Equal(101, (await WebSocketHandshake.ExchangeAsync(connection.Stream, WebSocketHandshake.Request(WebSocketHandshake.NewKey()))).Status);
        await connection.Stream.WriteAsync(ClientFrames.Frame(WebSocketOpcode.Binary, Wire.Encode(Wire.Connect("pinger", V5))));
        Assert.Equal((byte)PacketType.ConnAck << 4, (await connection.ReadFrameAsync(0x82))[0]);

        await connection.Stream.WriteAsync(ClientFrames.Frame(WebSocketOpcode.Ping, "are you there"u8.ToArray()));

        Assert.Equal("are you there"u8.ToArray(), await connection.ReadFrameAsync(0x8A));
    }

    [Fact]
    public async Task A_close_frame_without_disconnect_ends_the_connection_as_a_network_failure()
    {
        await using var broker = await StartAsync();
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        await watcher.SubscribeAsync("wills/#", QoS0);
        await using RawClient client = await OpenAsync(broker);
        await client.ConnectAsync("closer", will: Wire.Will("wills/closer", "gone"));
        using var cts = new CancellationTokenSource(RawClient.Timeout);
        await client.WebSocket!.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
        Assert.Equal(WebSocketState.Closed, client.WebSocket.State);
        Assert.Equal("gone", (await watcher.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task A_disconnect_is_followed_by_a_close_frame()
    {
        await using var broker = await StartAsync();
        await using RawClient client = await OpenAsync(broker);
        await client.ConnectAsync("polite");
        await client.SendAsync(new DisconnectPacket { ReasonCode = ReasonCode.NormalDisconnection });
        await client.ExpectClosedAsync();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.WebSocket!.CloseStatus);
    }

    [Fact]
    public async Task Shutdown_sends_disconnect_0x8B_over_websocket()
    {
        var broker = await StartAsync();
        try
        {
            await using RawClient client = await OpenAsync(broker);
            await client.ConnectAsync("stays");
            Task stopping = Task.Run(() => broker.Broker.StopAsync());
            await client.ExpectDisconnectAsync(ReasonCode.ServerShuttingDown);
            await stopping.WaitAsync(TimeSpan.FromSeconds(15));
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }

    [Fact]
    public async Task Websocket_and_tcp_clients_exchange_messages_at_every_qos()
    {
        await using var broker = await StartAsync();
        await using RawClient tcp = await broker.ConnectAsync("tcp");
        await using RawClient ws = await OpenAsync(broker);
        await ws.ConnectAsync("ws");
        await ws.SubscribeAsync("to/ws", QoS2);
        await tcp.SubscribeAsync("to/tcp", QoS2);
        byte[] large = RandomNumberGenerator.GetBytes(200_000);
        foreach (QualityOfService qos in new[] { QoS0, QoS1, QoS2 })
        {
            await tcp.PublishAsync("to/ws", large, qos);
            ReceivedPacket toWs = await ws.ExpectPublishPacketAsync();
            Assert.Equal(large, toWs.Publish.Payload.ToArray());
            await AcknowledgeAsync(ws, toWs.Publish);
            await ws.PublishAsync("to/tcp", $"qos {(int)qos}", qos);
            ReceivedPacket toTcp = await tcp.ExpectPublishPacketAsync();
            Assert.Equal($"qos {(int)qos}", toTcp.PayloadText);
            await AcknowledgeAsync(tcp, toTcp.Publish);
        }
    }

    [Fact]
    public async Task A_wss_listener_serves_mqtt_over_websocket_over_tls()
    {
        using X509Certificate2 certificate = SelfSignedCertificate();
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.Certificate = certificate;
            o.TlsWebSocketListeners.Add(new IPEndPoint(IPAddress.Loopback, 0));
        });
        Assert.Equal("wss", broker.Broker.Endpoints.Single(e => e.IsWebSocket).Scheme);
        await using RawClient client = await RawClient.OpenWebSocketAsync(broker.PortOf("wss"), tls: true);
        await client.ConnectAsync("secure");
        await client.SubscribeAsync("s/t", QoS1);
        await client.PublishAsync("s/t", "over wss", QoS1);
        Assert.Equal("over wss", (await client.ExpectPublishPacketAsync()).PayloadText);
    }

    [Fact]
    public async Task Hostile_frames_after_the_handshake_end_only_their_connection_and_log_no_failure()
    {
        var log = new ErrorLog();
        await using var broker = await TestBroker.StartAsync(o => o.WebSocketListeners.Add(new IPEndPoint(IPAddress.Loopback, 0)), log);
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        byte[] connect = Wire.Encode(Wire.Connect("hostile", V5));
        Gen<byte[]> input = Gen.OneOf(
            Gen.Byte.Array[1, 64],
            HostileFrame,
            HostileFrame.Select(frame => (byte[])[.. ClientFrames.Frame(WebSocketOpcode.Binary, connect), .. frame]));

        await input.SampleAsync(async bytes =>
        {
            await using var connection = await TcpConnection.OpenAsync(broker.PortOf("ws"));
            WebSocketHandshake.Response response = await WebSocketHandshake.ExchangeAsync(connection.Stream,
                WebSocketHandshake.Request(WebSocketHandshake.NewKey()));
            Assert.Equal(101, response.Status);
            await connection.Stream.WriteAsync(bytes);
        }, iter: 150, threads: 1);

        // The broker still serves, every hostile connection is gone, and none ended in an unexpected exception.
        await watcher.SyncAsync();
        await broker.WaitForOpenConnectionsAsync(1);
        Assert.Empty(log.Errors);
    }

    [Fact]
    public async Task Mutated_upgrade_requests_are_answered_or_closed_and_log_no_failure()
    {
        var log = new ErrorLog();
        await using var broker = await TestBroker.StartAsync(o => o.WebSocketListeners.Add(new IPEndPoint(IPAddress.Loopback, 0)), log);
        await using RawClient watcher = await broker.ConnectAsync("watcher");
        byte[] valid = Encoding.ASCII.GetBytes(WebSocketHandshake.Request(WebSocketHandshake.NewKey()));
        // Up to four edits of a valid request: a byte replaced, inserted or removed.
        Gen<byte[]> mutated = Gen.Select(Gen.Int[0, 2], Gen.Int[0, valid.Length - 1], Gen.Byte).Array[1, 4].Select(edits =>
        {
            var bytes = new List<byte>(valid);
            foreach ((int kind, int at, byte value) in edits)
            {
                int index = Math.Min(at, bytes.Count - 1);
                switch (kind)
                {
                    case 0: bytes[index] = value; break;
                    case 1: bytes.Insert(index, value); break;
                    default: bytes.RemoveAt(index); break;
                }
            }
            return bytes.ToArray();
        });

        await mutated.SampleAsync(async request =>
        {
            await using var connection = await TcpConnection.OpenAsync(broker.PortOf("ws"));
            await connection.Stream.WriteAsync(request);
            connection.Stream.Socket.Shutdown(SocketShutdown.Send);
            byte[] answer = await connection.ReadToEndAsync();
            // An HTTP answer (an error, or 101 when the edits left the request valid), or a close without one.
            Assert.True(answer.Length == 0 || Encoding.ASCII.GetString(answer).StartsWith("HTTP/1.1 ", StringComparison.Ordinal),
                $"answer: {Encoding.Latin1.GetString(answer)}");
        }, iter: 150, threads: 1);

        await watcher.SyncAsync();
        await broker.WaitForOpenConnectionsAsync(1);
        Assert.Empty(log.Errors);
    }

    /// <summary>
    /// A frame with any opcode, FIN and reserved bits, masked or not, whose length field (7, 16 or 64 bits, or 64 random
    /// bits) may disagree with the payload that follows.
    /// </summary>
    private static readonly Gen<byte[]> HostileFrame = Gen.Select(Gen.Int[0, 15], Gen.Int[0, 15], Gen.Bool, Gen.Byte.Array[0, 300],
        Gen.Int[0, 3], Gen.Int[-3, 3], Gen.ULong,
        (opcode, flags, masked, payload, form, skew, random) =>
        {
            long declared = Math.Max(0, payload.Length + skew);
            byte[] length = form switch
            {
                0 when declared <= 125 => [(byte)declared],
                0 or 1 => [126, (byte)(declared >> 8), (byte)declared],
                2 => [127, .. BitConverter.GetBytes(declared).Reverse()],
                _ => [127, .. BitConverter.GetBytes(random)],
            };
            length[0] |= masked ? (byte)0x80 : (byte)0;
            byte[] key = masked ? [1, 2, 3, 4] : [];
            return (byte[])[(byte)(flags << 4 | opcode), .. length, .. key, .. ClientFrames.Mask(payload, key)];
        });

    private static async Task AcknowledgeAsync(RawClient client, PublishPacket publish)
    {
        if (publish.QoS == QoS1)
        {
            await client.SendAckAsync(PacketType.PubAck, publish.PacketId);
        }
        else if (publish.QoS == QoS2)
        {
            await client.SendAckAsync(PacketType.PubRec, publish.PacketId);
            await client.ExpectAsync(PacketType.PubRel);
            await client.SendAckAsync(PacketType.PubComp, publish.PacketId);
        }
    }

    private static async Task<WebSocketHandshake.Response> HandshakeAsync(TestBroker broker, string? subprotocols = "mqtt", string version = "13")
    {
        await using var connection = await TcpConnection.OpenAsync(broker.PortOf("ws"));
        string key = WebSocketHandshake.NewKey();
        WebSocketHandshake.Response response = await WebSocketHandshake.ExchangeAsync(connection.Stream,
            WebSocketHandshake.Request(key, subprotocols, version: version));
        if (response.Status == 101)
        {
            Assert.Equal(WebSocketHandshake.ExpectedAccept(key), response.Header("Sec-WebSocket-Accept"));
        }
        else
        {
            // A refused handshake is answered, then closed.
            await connection.ExpectClosedAsync();
        }
        return response;
    }

    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // Through PKCS#12 so the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A plain TCP connection for writing a handshake by hand.</summary>
    private sealed class TcpConnection : IAsyncDisposable
    {
        private readonly Socket _socket;

        private TcpConnection(Socket socket)
        {
            _socket = socket;
            Stream = new NetworkStream(socket, ownsSocket: true);
        }

        public NetworkStream Stream { get; }

        public static async Task<TcpConnection> OpenAsync(int port)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var cts = new CancellationTokenSource(RawClient.Timeout);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
            return new TcpConnection(socket);
        }

        /// <summary>Everything until the broker closes the connection, which it must do within <paramref name="timeout"/>.</summary>
        public async Task<byte[]> ReadToEndAsync(TimeSpan? timeout = null)
        {
            using var cts = new CancellationTokenSource(timeout ?? RawClient.Timeout);
            var received = new MemoryStream();
            byte[] buffer = new byte[4096];
            try
            {
                for (int i = 0; i < 1000; i++)
                {
                    int read = await Stream.ReadAsync(buffer, cts.Token);
                    if (read == 0)
                    {
                        return received.ToArray();
                    }
                    received.Write(buffer, 0, read);
                }
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the broker did not close the connection within {(timeout ?? RawClient.Timeout).TotalSeconds} s");
            }
            catch (IOException)
            {
                return received.ToArray();
            }
            throw new InvalidOperationException("more than 1,000 reads before the connection closed");
        }

        /// <summary>The next frame from the broker, which must be final and unmasked with <paramref name="first"/> as its first byte; its payload.</summary>
        public async Task<byte[]> ReadFrameAsync(byte first)
        {
            using var cts = new CancellationTokenSource(RawClient.Timeout);
            byte[] header = new byte[2];
            await Stream.ReadExactlyAsync(header, cts.Token);
            Assert.Equal(first, header[0]);
            Assert.True(header[1] < 126, $"a short frame was expected, its length byte is {header[1]}");
            byte[] payload = new byte[header[1]];
            await Stream.ReadExactlyAsync(payload, cts.Token);
            return payload;
        }

        public async Task ExpectClosedAsync(TimeSpan? timeout = null)
        {
            byte[] rest = await ReadToEndAsync(timeout);
            Assert.True(rest.Length == 0, $"expected the connection to close, got {Encoding.Latin1.GetString(rest)}");
        }

        public async ValueTask DisposeAsync()
        {
            await Stream.DisposeAsync();
            _socket.Dispose();
        }
    }
}
