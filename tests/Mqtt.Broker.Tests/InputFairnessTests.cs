using System.Diagnostics;

namespace Mqtt.Broker.Tests;

/// <summary>
/// A connection whose input is costly to handle lets other connections run: with inline socket completions (as
/// `mqttcore broker` runs) its read loop is on a socket engine thread that serves many connections and the accept
/// loop, and a client flooding expensive packets held that thread for as long as it sent (found by a hostile-input audit).
/// </summary>
public sealed class InputFairnessTests
{
    [Fact]
    public async Task A_batch_of_costly_packets_gives_its_thread_up_every_turn()
    {
        await using TestBroker broker = await TestBroker.StartAsync(o => o.Authorizer = new CostlyTopic("costly", TimeSpan.FromMilliseconds(15)));
        await using RawClient client = await broker.ConnectAsync("flooder");

        await SendTenInOneWriteAsync(client, "costly");

        // 150 ms of handling in turns of 10 ms: at least a few turns, however the batch was split or the machine loaded.
        Assert.InRange(broker.Broker.Statistics.InputYields, 3, long.MaxValue);
    }

    [Fact]
    public async Task Time_spent_waiting_for_an_asynchronous_check_does_not_count_as_a_turn()
    {
        await using TestBroker broker = await TestBroker.StartAsync(o => o.Authorizer = new SlowTopic("slow", TimeSpan.FromMilliseconds(15)));
        await using RawClient client = await broker.ConnectAsync("patient");

        await SendTenInOneWriteAsync(client, "slow");

        // 150 ms of waiting, next to no CPU: each check's wait ends the turn it interrupted (before: a yield per packet).
        Assert.InRange(broker.Broker.Statistics.InputYields, 0, 3);
    }

    /// <summary>
    /// A costly match (stood in for by a shared group's read check that does not return) holds up its own publisher
    /// only: another client's message to another topic is routed meanwhile. Matching took one lock for the whole
    /// broker, so a client with thousands of deep wildcard filters that all matched (387 ms a publish) stalled every
    /// publisher (found by a hostile-input audit).
    /// </summary>
    [Fact]
    public async Task A_match_in_progress_does_not_hold_up_other_publishers()
    {
        var check = new BlockingReadCheck("slow");
        await using TestBroker broker = await TestBroker.StartAsync(o => o.Authorizer = check);
        await using RawClient member = await broker.ConnectAsync("member");
        await member.SubscribeAsync("$share/g/slow");
        await using RawClient reader = await broker.ConnectAsync("reader");
        await reader.SubscribeAsync("fast");
        await using RawClient costly = await broker.ConnectAsync("costly");
        await using RawClient other = await broker.ConnectAsync("other");

        await costly.SendAsync(new PublishPacket { Topic = Wire.Text("slow"), Payload = Wire.Text("x") });
        try
        {
            Assert.True(check.Entered.Wait(TimeSpan.FromSeconds(10)), "the shared group's read check never ran");
            await other.SendAsync(new PublishPacket { Topic = Wire.Text("fast"), Payload = Wire.Text("y") });

            PublishPacket delivered = await reader.ExpectPublishAsync(TimeSpan.FromSeconds(5));
            Assert.Equal("fast", MqttUtf8.GetString(delivered.Topic));
        }
        finally
        {
            check.Release.Set();
        }
        Assert.Equal("slow", MqttUtf8.GetString((await member.ExpectPublishAsync()).Topic));
    }

    /// <summary>Ten QoS 0 PUBLISHes to <paramref name="topic"/> in one write (the broker reads them as one batch, or a few), all handled on return.</summary>
    private static async Task SendTenInOneWriteAsync(RawClient client, string topic)
    {
        var batch = new List<byte>();
        for (int i = 0; i < 10; i++)
        {
            batch.AddRange(Wire.Encode(new PublishPacket { Topic = Wire.Text(topic), Payload = Wire.Text("x") }, ProtocolVersion.V500));
        }
        await client.SendAsync(batch.ToArray());
        await client.SyncAsync();
    }

    /// <summary>The read check of <paramref name="topic"/> (made while matching, for a shared group) waits for <see cref="Release"/>.</summary>
    private sealed class BlockingReadCheck(string topic) : IAuthorizer
    {
        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public ValueTask<bool> CanPublishAsync(ClientInfo client, string name) => new(true);

        public ValueTask<bool> CanSubscribeAsync(ClientInfo client, string filter) => new(true);

        public bool CanReceive(ClientInfo client, string name)
        {
            if (name == topic)
            {
                Entered.Set();
                Release.Wait(TimeSpan.FromSeconds(30));
            }
            return true;
        }
    }

    /// <summary>Publishing to <paramref name="topic"/> waits <paramref name="delay"/> for an answer, holding no thread.</summary>
    private sealed class SlowTopic(string topic, TimeSpan delay) : IAuthorizer
    {
        public async ValueTask<bool> CanPublishAsync(ClientInfo client, string name)
        {
            if (name == topic)
            {
                await Task.Delay(delay);
            }
            return true;
        }

        public ValueTask<bool> CanSubscribeAsync(ClientInfo client, string filter) => new(true);

        public bool CanReceive(ClientInfo client, string name) => true;
    }

    /// <summary>Publishing to <paramref name="topic"/> costs <paramref name="cost"/> of CPU, spent on the connection's thread.</summary>
    private sealed class CostlyTopic(string topic, TimeSpan cost) : IAuthorizer
    {
        public ValueTask<bool> CanPublishAsync(ClientInfo client, string name)
        {
            if (name == topic)
            {
                var spent = Stopwatch.StartNew();
                while (spent.Elapsed < cost)
                {
                    Thread.SpinWait(100);
                }
            }
            return new(true);
        }

        public ValueTask<bool> CanSubscribeAsync(ClientInfo client, string filter) => new(true);

        public bool CanReceive(ClientInfo client, string name) => true;
    }
}
