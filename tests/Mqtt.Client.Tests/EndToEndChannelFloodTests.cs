using Mqtt.Client.EndToEnd;
using Mqtt.Codec;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Client.Tests;

/// <summary>An <see cref="EndToEndChannel"/> whose application does not read while someone floods it with envelopes.</summary>
public sealed class EndToEndChannelFloodTests
{
    /// <summary>
    /// QoS 0 envelopes escape the broker's flow control (Receive Maximum counts QoS 1 and 2 only). Before the fix the
    /// channel queued every one of them, without bound; now those beyond its capacity are dropped.
    /// </summary>
    [Fact]
    public async Task A_flood_of_QoS_0_envelopes_nobody_reads_stops_at_the_queue_capacity()
    {
        await using OurBroker broker = await OurBroker.StartAsync();
        await using var bob = new MqttClient(new MqttClientOptions { Port = broker.Port, ClientId = "bob" });
        await bob.ConnectAsync();
        using E2eIdentity bobKeys = E2eIdentity.Generate("bob");
        await using var channel = new EndToEndChannel(bob, bobKeys, TrustStore.InMemory());
        await channel.ListenAsync("mallory");
        await using var mallory = new MqttClient(new MqttClientOptions { Port = broker.Port, ClientId = "mallory" });
        await mallory.ConnectAsync();

        byte[] junk = new byte[64];
        for (int i = 0; i < 4 * EndToEndChannel.EnvelopeQueueCapacity; i++)
        {
            await mallory.PublishAsync("mallory/bob/messages", junk, QualityOfService.AtMostOnce);
        }

        int pending = await SettledAsync(() => channel.PendingEnvelopes);
        Assert.Equal(EndToEndChannel.EnvelopeQueueCapacity, pending);
    }

    /// <summary>The value once it stops changing (two readings 500 ms apart agree), at most 20 s.</summary>
    private static async Task<int> SettledAsync(Func<int> read)
    {
        int last = read();
        for (int i = 0; i < 40; i++)
        {
            await Task.Delay(500);
            int now = read();
            if (now == last && now > 0)
            {
                return now;
            }
            last = now;
        }
        return last;
    }
}
