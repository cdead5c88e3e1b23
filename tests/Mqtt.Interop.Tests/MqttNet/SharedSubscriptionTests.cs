using MQTTnet.Protocol;

namespace Mqtt.Interop.Tests.MqttNet;

/// <summary>Shared Subscriptions (4.8.2): a group's members split the messages; everyone else gets them all.</summary>
public sealed class SharedSubscriptionTests
{
    [Fact]
    public async Task Two_members_of_a_group_split_the_messages_between_them()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer a = await MqttNetPeer.ConnectAsync(broker.Port, "worker-a");
        await using MqttNetPeer b = await MqttNetPeer.ConnectAsync(broker.Port, "worker-b");
        await using MqttNetPeer all = await MqttNetPeer.ConnectAsync(broker.Port, "all");
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        await a.SubscribeAsync("$share/g/jobs/+", MqttQualityOfServiceLevel.AtLeastOnce);
        await b.SubscribeAsync("$share/g/jobs/+", MqttQualityOfServiceLevel.AtLeastOnce);
        await all.SubscribeAsync("jobs/+", MqttQualityOfServiceLevel.AtLeastOnce);
        const int count = 20;

        for (int i = 0; i < count; i++)
        {
            await publisher.PublishAsync("jobs/x", $"job {i}", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        List<ReceivedMessage> everything = await all.NextAsync(count);
        var fromA = new List<ReceivedMessage>();
        var fromB = new List<ReceivedMessage>();
        await Waits.UntilAsync(() =>
        {
            fromA.AddRange(a.Drain());
            fromB.AddRange(b.Drain());
            return fromA.Count + fromB.Count >= count;
        }, "the group to receive every message");
        await a.ExpectNothingMoreAsync(publisher);
        await b.ExpectNothingMoreAsync(publisher);

        Assert.Equal(count, everything.Count);
        Assert.NotEmpty(fromA);
        Assert.NotEmpty(fromB);
        // Each message went to exactly one member.
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"job {i}").Order(), fromA.Concat(fromB).Select(m => m.Text).Order());
    }

    [Fact]
    public async Task A_shared_subscription_gets_no_retained_messages_on_subscribe()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        await publisher.PublishAsync("kept/t", "retained", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await using MqttNetPeer member = await MqttNetPeer.ConnectAsync(broker.Port, "member");

        await member.SubscribeAsync("$share/g/kept/t");

        // 4.8.2: retained messages are not sent to a session when it subscribes to a Shared Subscription.
        await member.ExpectNothingMoreAsync(publisher);
    }
}
