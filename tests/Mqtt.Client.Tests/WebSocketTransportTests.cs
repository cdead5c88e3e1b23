using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Mqtt.Codec;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>
/// The client over WebSocket (MQTT 5.0 section 6): against our broker's ws and wss listeners and Mosquitto's
/// WebSocket listener, and against a server that answers the upgrade without selecting "mqtt".
/// </summary>
public sealed class WebSocketTransportTests
{
    public static TheoryData<string, ProtocolVersion> BrokersAndVersions() => new()
    {
        { "ours", ProtocolVersion.V500 },
        { "ours", ProtocolVersion.V311 },
        { "mosquitto", ProtocolVersion.V500 },
        { "mosquitto", ProtocolVersion.V311 },
    };

    [SkippableTheory]
    [MemberData(nameof(BrokersAndVersions))]
    public async Task Client_over_websocket_publishes_and_receives_at_every_qos(string name, ProtocolVersion version)
    {
        await using IBroker broker = await StartAsync(name);
        int webSocketPort = broker is OurBroker ours ? ours.WebSocketPort : ((MosquittoBroker)broker).WebSocketPort;
        await using MqttClient overWebSocket = await ConnectAsync(webSocketPort, version, o => o.WebSocketPath = "/mqtt");
        await using MqttClient overTcp = await ConnectAsync(broker.Port, version);
        await overWebSocket.SubscribeAsync("ws/in", QualityOfService.ExactlyOnce);
        await overTcp.SubscribeAsync("ws/out", QualityOfService.ExactlyOnce);
        // Several WebSocket frames, and pipe segments, per message; not more: Mosquitto 2.0.11's WebSocket listener
        // takes seconds over 100 KB (2.4 s to MQTT.js too, where our broker takes 11 ms).
        byte[] large = RandomNumberGenerator.GetBytes(20_000);

        foreach (QualityOfService qos in new[] { QualityOfService.AtMostOnce, QualityOfService.AtLeastOnce, QualityOfService.ExactlyOnce })
        {
            await overTcp.PublishAsync("ws/in", large, qos);
            MqttApplicationMessage received = (await overWebSocket.ReceiveAsync(1))[0];
            Assert.Equal(large, received.Payload.ToArray());
            Assert.Equal(qos, received.QoS);
            await overWebSocket.PublishAsync("ws/out", Bytes($"qos {(int)qos}"), qos);
            Assert.Equal($"qos {(int)qos}", Text((await overTcp.ReceiveAsync(1))[0]));
        }
        await overWebSocket.DisconnectAsync();
    }

    [Fact]
    public async Task Client_over_wss_checks_the_certificate_with_the_CA_file()
    {
        TestCertificates pki = TestCertificates.Default;
        await using OurBroker broker = await OurBroker.StartAsync(o => o.TlsWebSocketListeners.Add(new IPEndPoint(IPAddress.Loopback, 0)),
            pki.ServerCertificate);
        await using MqttClient client = await ConnectAsync(broker.WebSocketPort, ProtocolVersion.V500, o =>
        {
            o.WebSocketPath = "/mqtt";
            o.UseTls = true;
            o.CaFile = pki.CaFile;
        });
        await client.SubscribeAsync("wss/t", QualityOfService.AtLeastOnce);
        await client.PublishAsync("wss/t", Bytes("sealed"), QualityOfService.AtLeastOnce);
        Assert.Equal("sealed", Text((await client.ReceiveAsync(1))[0]));

        await using var untrusting = new MqttClient(Options(broker.WebSocketPort));
        untrusting.Options.WebSocketPath = "/mqtt";
        untrusting.Options.UseTls = true;
        untrusting.Options.CaFile = TestCertificates.Unrelated.CaFile;
        await Assert.ThrowsAsync<MqttTransportException>(() => untrusting.ConnectAsync());
    }

    [Fact]
    public async Task MQTT_6_0_0_3_client_offers_mqtt_and_MQTT_6_0_0_4_refuses_a_server_that_selects_no_subprotocol()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        Task<string> server = AnswerWithoutSubprotocolAsync(listener);
        await using var client = new MqttClient(Options(port));
        client.Options.WebSocketPath = "/mqtt";

        MqttTransportException e = await Assert.ThrowsAsync<MqttTransportException>(() => client.ConnectAsync());

        Assert.Contains("MQTT-6.0.0-4", e.Message);
        string request = await server.WaitAsync(Patience);
        Assert.Contains("GET /mqtt HTTP/1.1", request);
        Assert.Matches(@"(?im)^Sec-WebSocket-Protocol:\s*mqtt\s*$", request);
    }

    [Fact]
    public async Task A_tcp_listener_is_not_mistaken_for_a_websocket_one()
    {
        await using OurBroker broker = await OurBroker.StartAsync();
        await using var client = new MqttClient(Options(broker.Port));
        client.Options.WebSocketPath = "/mqtt";

        await Assert.ThrowsAsync<MqttTransportException>(() => client.ConnectAsync());
    }

    private static async Task<IBroker> StartAsync(string name) => name == "mosquitto"
        ? await MosquittoBroker.StartAsync(webSocket: true)
        : await OurBroker.StartAsync(o => o.WebSocketListeners.Add(new IPEndPoint(IPAddress.Loopback, 0)));

    /// <summary>Reads one upgrade request and answers 101 with a valid accept key but no Sec-WebSocket-Protocol; returns the request.</summary>
    private static async Task<string> AnswerWithoutSubprotocolAsync(Socket listener)
    {
        using var cts = new CancellationTokenSource(Patience);
        using Socket socket = await listener.AcceptAsync(cts.Token);
        await using var stream = new NetworkStream(socket);
        var request = new StringBuilder();
        byte[] one = new byte[1];
        while (!request.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && request.Length < 16_384
            && await stream.ReadAsync(one, cts.Token) == 1)
        {
            request.Append((char)one[0]);
        }
        string key = request.ToString().Split("\r\n").First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))
            .Split(':', 2)[1].Trim();
        string accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"), cts.Token);
        try
        {
            // Held open until the client gives up on it.
            _ = await stream.ReadAsync(one, cts.Token);
        }
        catch (IOException)
        {
        }
        return request.ToString();
    }
}
