using System.Buffers;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Mqtt.Codec;
using MQTTnet;

namespace Mqtt.Benchmarks;

/// <summary>
/// The client's QoS 0 publish path in steady state: <see cref="MqttClient.PublishAsync(string, ReadOnlyMemory{byte}, QualityOfService, bool, CancellationToken)"/>
/// over a real loopback TCP connection to a sink that answers CONNACK and then discards every byte. Each invocation
/// publishes <see cref="Batch"/> messages on the same topic, so the MemoryDiagnoser's figure is per message. MqttCore
/// is measured with a Topic Alias (the sink allows 10) and without; the MQTTnet 5.2 client, publishing one prebuilt
/// message to the same sink, is the baseline.
/// </summary>
[MemoryDiagnoser]
public class ClientPublishBenchmarks
{
    private const int Batch = 1000;
    private const string Topic = "sensors/building-7/floor-3/room-12/temperature";

    private DiscardingSink _sink = null!;
    private Mqtt.Client.MqttClient _withAlias = null!;
    private Mqtt.Client.MqttClient _withoutAlias = null!;
    private IMqttClient _mqttnet = null!;
    private MqttApplicationMessage _mqttnetMessage = null!;
    private ReadOnlyMemory<byte> _payload;

    [Params(64, 1024)]
    public int PayloadSize { get; set; }

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "MQTTnet 5.2 client")]
    public async Task MqttNet()
    {
        for (int i = 0; i < Batch; i++)
        {
            await _mqttnet.PublishAsync(_mqttnetMessage, CancellationToken.None);
        }
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "MqttCore, topic alias")]
    public async Task MqttCoreWithAlias()
    {
        for (int i = 0; i < Batch; i++)
        {
            await _withAlias.PublishAsync(Topic, _payload);
        }
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "MqttCore, full topic")]
    public async Task MqttCoreWithoutAlias()
    {
        for (int i = 0; i < Batch; i++)
        {
            await _withoutAlias.PublishAsync(Topic, _payload);
        }
    }

    private async Task SetupAsync()
    {
        byte[] payload = new byte[PayloadSize];
        new Random(42).NextBytes(payload);
        _payload = payload;
        _sink = new DiscardingSink();

        _withAlias = await ConnectOursAsync(useTopicAliases: true);
        _withoutAlias = await ConnectOursAsync(useTopicAliases: false);

        _mqttnet = new MqttClientFactory().CreateMqttClient();
        MqttClientOptions options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", _sink.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithKeepAlivePeriod(TimeSpan.Zero)
            .WithClientId("bench-mqttnet")
            .Build();
        await _mqttnet.ConnectAsync(options, CancellationToken.None);
        _mqttnetMessage = new MqttApplicationMessageBuilder().WithTopic(Topic).WithPayload(payload).Build();
    }

    private async Task<Mqtt.Client.MqttClient> ConnectOursAsync(bool useTopicAliases)
    {
        var client = new Mqtt.Client.MqttClient(new Mqtt.Client.MqttClientOptions
        {
            Host = "127.0.0.1",
            Port = _sink.Port,
            ClientId = useTopicAliases ? "bench-alias" : "bench-full",
            KeepAlive = TimeSpan.Zero,
            UseTopicAliases = useTopicAliases,
        });
        await client.ConnectAsync();
        return client;
    }

    private async Task CleanupAsync()
    {
        await _withAlias.DisposeAsync();
        await _withoutAlias.DisposeAsync();
        _mqttnet.Dispose();
        _sink.Dispose();
    }

    /// <summary>
    /// A loopback TCP listener that answers each CONNECT with a successful CONNACK (Topic Alias Maximum 10 for MQTT 5)
    /// and then reads and drops everything the client sends.
    /// </summary>
    private sealed class DiscardingSink : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly CancellationTokenSource _stop = new();

        public DiscardingSink()
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(16);
            Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
            _ = AcceptLoopAsync();
        }

        public int Port { get; }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Dispose();
        }

        private async Task AcceptLoopAsync()
        {
            try
            {
                while (true)
                {
                    Socket socket = await _listener.AcceptAsync(_stop.Token);
                    _ = ServeAsync(socket);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }

        private async Task ServeAsync(Socket socket)
        {
            using Socket owned = socket;
            byte[] buffer = new byte[64 * 1024];
            try
            {
                int received = 0;
                ConnectPacket connect;
                while (true)
                {
                    int n = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }
                    received += n;
                    var input = new ReadOnlySequence<byte>(buffer, 0, received);
                    if (MqttFrameReader.TryRead(input, int.MaxValue, out MqttFrame frame, out _) == DecodeStatus.Complete
                        && ConnectPacket.TryRead(frame, out connect, out _))
                    {
                        break;
                    }
                }
                var connAck = new ConnAckPacket
                {
                    ReasonCode = ReasonCode.Success,
                    Properties = connect.Version == ProtocolVersion.V500 ? new MqttProperties { TopicAliasMaximum = 10 } : default,
                };
                var output = new ArrayBufferWriter<byte>();
                connAck.Write(output, connect.Version);
                await socket.SendAsync(output.WrittenMemory, SocketFlags.None, _stop.Token);
                while (await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token) > 0)
                {
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }
    }
}
