using MQTTnet.Protocol;

namespace Mqtt.Interop.Tests.MqttNet;

/// <summary>Several MQTTnet publishers and subscribers at once: nothing lost, nothing duplicated, per-publisher order kept.</summary>
public sealed class FanOutTests
{
    [Fact]
    public async Task Concurrent_publishers_reach_every_subscriber_in_each_publishers_order()
    {
        const int publishers = 3;
        const int subscribers = 8;
        const int messages = 100;
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        var subs = new List<MqttNetPeer>();
        var pubs = new List<MqttNetPeer>();
        try
        {
            for (int i = 0; i < subscribers; i++)
            {
                MqttNetPeer sub = await MqttNetPeer.ConnectAsync(broker.Port, $"sub-{i}");
                // Alternate wildcard and exact filters, and QoS 1 and 2.
                await sub.SubscribeAsync(i % 2 == 0 ? "fan/+" : "fan/t", i % 3 == 0 ? MqttQualityOfServiceLevel.ExactlyOnce : MqttQualityOfServiceLevel.AtLeastOnce);
                subs.Add(sub);
            }
            for (int p = 0; p < publishers; p++)
            {
                pubs.Add(await MqttNetPeer.ConnectAsync(broker.Port, $"pub-{p}"));
            }

            await Task.WhenAll(pubs.Select(async (pub, p) =>
            {
                for (int m = 0; m < messages; m++)
                {
                    await pub.PublishAsync("fan/t", $"{p}:{m}", m % 2 == 0 ? MqttQualityOfServiceLevel.AtLeastOnce : MqttQualityOfServiceLevel.ExactlyOnce);
                }
            }));

            foreach (MqttNetPeer sub in subs)
            {
                List<ReceivedMessage> received = await sub.NextAsync(publishers * messages);
                for (int p = 0; p < publishers; p++)
                {
                    string prefix = $"{p}:";
                    // [MQTT-4.6.0-6] ordered per topic and publisher.
                    Assert.Equal(Enumerable.Range(0, messages).Select(m => $"{p}:{m}"), received.Where(r => r.Text.StartsWith(prefix, StringComparison.Ordinal)).Select(r => r.Text));
                }
            }
            await subs[0].ExpectNothingMoreAsync(pubs[0]);
        }
        finally
        {
            foreach (MqttNetPeer peer in subs.Concat(pubs))
            {
                await peer.DisposeAsync();
            }
        }
    }
}
