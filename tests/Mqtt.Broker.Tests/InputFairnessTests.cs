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
