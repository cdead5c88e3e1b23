using System.Diagnostics;
using System.Reflection;
using System.Net.Sockets;
using Mqtt.Codec;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>Tests that read process-wide counters (allocated bytes, unobserved task exceptions) run alone.</summary>
[CollectionDefinition("Process-wide", DisableParallelization = true)]
public sealed class ProcessWideCollection;

/// <summary>The QoS 0 publish path allocates nothing in steady state (measured by the GC's own counter, not timed).</summary>
[Collection("Process-wide")]
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

        // The fewest bytes of three rounds: a one-off allocation (the array pool refilling a per-thread cache that a
        // gen 2 collection trimmed, as happens when the whole suite runs) lands in one round, a per-publish one in all.
        // Rounds of 7,000: about as many publishes in all as the socket takes without pushing back.
        const int Count = 7_000;
        long fewest = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
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
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(fewest < Count / 10, $"{fewest} bytes allocated for {Count} QoS 0 publications (the fewest of three rounds)");
        await client.DisposeAsync();
        await draining.WaitAsync(Patience);
    }
}
