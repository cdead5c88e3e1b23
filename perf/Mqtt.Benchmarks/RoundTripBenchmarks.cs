using System.Net;
using BenchmarkDotNet.Attributes;
using Mqtt.Broker;
using Mqtt.Client;
using Mqtt.Client.EndToEnd;
using Mqtt.Codec;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Benchmarks;

/// <summary>
/// The latency end-to-end encryption adds to one message through our broker: alice publishes one QoS 1 message to bob
/// over loopback TCP and the invocation ends when bob's client hands it out, plain (a payload on
/// <c>alice/bob/plaintext</c>) or sealed and opened by <see cref="EndToEndChannel"/> (on <c>alice/bob/messages</c>). Messages
/// go one at a time, so each mean is a one-way latency including both clients and the broker (in this process).
/// </summary>
[MemoryDiagnoser]
public class RoundTripBenchmarks
{
    private const string PlainTopic = "alice/bob/plaintext"; // beside, not on, the topic bob's E2E client reads

    private MqttBroker _broker = null!;
    private MqttClient _plainAlice = null!;
    private MqttClient _plainBob = null!;
    private IAsyncEnumerator<MqttApplicationMessage> _plainInbox = null!;
    private MqttClient _sealingAlice = null!;
    private MqttClient _openingBob = null!;
    private EndToEndChannel _aliceChannel = null!;
    private EndToEndChannel _bobChannel = null!;
    private IAsyncEnumerator<EndToEndMessage> _sealedInbox = null!;
    private E2eIdentity _alice = null!;
    private E2eIdentity _bob = null!;
    private byte[] _payload = null!;

    [Params(64, 1024)]
    public int PayloadSize { get; set; }

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "plain QoS 1")]
    public async Task<int> Plain()
    {
        ValueTask<bool> arrival = _plainInbox.MoveNextAsync();
        await _plainAlice.PublishAsync(PlainTopic, _payload, QualityOfService.AtLeastOnce);
        return await arrival ? _plainInbox.Current.Payload.Length : throw new InvalidOperationException("bob's client stopped");
    }

    [Benchmark(Description = "E2E sealed QoS 1")]
    public async Task<int> Sealed()
    {
        ValueTask<bool> arrival = _sealedInbox.MoveNextAsync();
        await _aliceChannel.SendAsync("bob", _payload);
        if (!await arrival || _sealedInbox.Current.Error != E2eError.None)
        {
            throw new InvalidOperationException($"bob could not open alice's message: {_sealedInbox.Current?.Kind} {_sealedInbox.Current?.Error} {_sealedInbox.Current?.Topic} {_sealedInbox.Current?.Description}");
        }
        return PayloadSize;
    }

    private async Task SetupAsync()
    {
        _payload = new byte[PayloadSize];
        new Random(42).NextBytes(_payload);

        var options = new BrokerOptions { AllowAnonymous = true, SysInterval = TimeSpan.Zero };
        options.Listeners.Add(new IPEndPoint(IPAddress.Loopback, 0));
        _broker = new MqttBroker(options);
        await _broker.StartAsync();
        int port = _broker.Endpoints.First(e => !e.IsTls).EndPoint.Port;

        _plainAlice = await ConnectAsync(port, "alice", "rt-plain-alice");
        _plainBob = await ConnectAsync(port, "bob", "rt-plain-bob");
        await _plainBob.SubscribeAsync(PlainTopic, QualityOfService.AtLeastOnce);
        _plainInbox = _plainBob.ReadMessagesAsync().GetAsyncEnumerator();

        _alice = E2eIdentity.Generate("alice");
        _bob = E2eIdentity.Generate("bob");
        TrustStore aliceTrust = TrustStore.InMemory();
        aliceTrust.Accept(_bob.Announcement);
        TrustStore bobTrust = TrustStore.InMemory();
        bobTrust.Accept(_alice.Announcement);
        _sealingAlice = await ConnectAsync(port, "alice", "rt-e2e-alice");
        _openingBob = await ConnectAsync(port, "bob", "rt-e2e-bob");
        _aliceChannel = new EndToEndChannel(_sealingAlice, _alice, aliceTrust);
        _bobChannel = new EndToEndChannel(_openingBob, _bob, bobTrust);
        await _bobChannel.ListenAsync("alice");
        _sealedInbox = _bobChannel.ReadAsync().GetAsyncEnumerator();

        // The first sealed message starts the session (public-key work); the benchmark measures steady state.
        await Sealed();
        await Plain();
    }

    private static async Task<MqttClient> ConnectAsync(int port, string user, string clientId)
    {
        var client = new MqttClient(new MqttClientOptions
        {
            Host = "127.0.0.1",
            Port = port,
            ClientId = clientId,
            UserName = user,
            KeepAlive = TimeSpan.Zero,
        });
        await client.ConnectAsync();
        return client;
    }

    private async Task CleanupAsync()
    {
        await _aliceChannel.DisposeAsync();
        await _bobChannel.DisposeAsync();
        foreach (MqttClient client in new[] { _plainAlice, _plainBob, _sealingAlice, _openingBob })
        {
            await client.DisposeAsync();
        }
        await _broker.StopAsync();
        _alice.Dispose();
        _bob.Dispose();
    }
}
