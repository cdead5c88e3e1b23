using System.Diagnostics;
using System.Reflection;
using System.Net.Sockets;
using Mqtt.Codec;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

[CollectionDefinition("Allocation", DisableParallelization = true)]
public sealed class AllocationCollection;

/// <summary>The QoS 0 publish path allocates nothing in steady state (measured by the GC's own counter, not timed).</summary>
[Collection("Allocation")]
public sealed class AllocationTests
{
    [SkippableFact]
    public async Task QoS0_publish_allocates_nothing_in_steady_state()
    {
        // Unoptimised (Debug) builds make every async state machine a class: the contract holds for Release builds.
        Skip.If(typeof(MqttClient).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true,
            "Mqtt.Client is built without optimisations (Debug); run with -c Release to measure allocations");
        await using var server = new FakeServer();
        MqttClientOptions options = Options(server.Port);
        options.KeepAlive = TimeSpan.Zero;
        await using var client = new MqttClient(options);
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.AcceptConnectAsync(new MqttProperties { TopicAliasMaximum = 10 });
        await connecting.WaitAsync(Patience);
        Task draining = connection.DrainAsync();

        ReadOnlyMemory<byte> payload = new byte[64];
        for (int i = 0; i < 2000; i++)
        {
            await client.PublishAsync("sensors/room/temperature", payload);
            await client.PublishAsync("sensors/room/humidity", payload);
        }

        const int Count = 20_000;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Count; i++)
        {
            ValueTask<MqttPublishResult> publish = client.PublishAsync("sensors/room/temperature", payload);
            if (!publish.IsCompletedSuccessfully)
            {
                Skip.If(true, "the socket applied backpressure, so the publish completed asynchronously: the thread counter cannot measure it");
            }
#pragma warning disable xUnit1031 // completed synchronously: reading the result does not block
            _ = publish.Result;
#pragma warning restore xUnit1031
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < Count / 10, $"{allocated} bytes allocated for {Count} QoS 0 publications");
        await client.DisposeAsync();
        await draining.WaitAsync(Patience);
    }
}
