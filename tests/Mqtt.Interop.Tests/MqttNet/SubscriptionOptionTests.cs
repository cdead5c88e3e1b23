using MQTTnet;
using MQTTnet.Protocol;

namespace Mqtt.Interop.Tests.MqttNet;

/// <summary>Subscription options and identifiers (3.8.2.1.2, 3.8.3.1) as the MQTTnet client sets them.</summary>
public sealed class SubscriptionOptionTests
{
    private static MqttClientSubscribeOptions Subscribe(string filter, Action<MqttTopicFilterBuilder>? options = null, uint identifier = 0)
    {
        var builder = new MqttClientSubscribeOptionsBuilder().WithTopicFilter(f =>
        {
            f.WithTopic(filter).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
            options?.Invoke(f);
        });
        if (identifier != 0)
        {
            builder.WithSubscriptionIdentifier(identifier);
        }
        return builder.Build();
    }

    [Fact]
    public async Task A_message_carries_the_Subscription_Identifiers_of_every_matching_subscription()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer subscriber = await MqttNetPeer.ConnectAsync(broker.Port, "sub");
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        Assert.True(subscriber.ConnectResult.SubscriptionIdentifiersAvailable);
        await subscriber.SubscribeAsync(Subscribe("sid/+", identifier: 7));
        await subscriber.SubscribeAsync(Subscribe("sid/#", identifier: 268_435_455));
        await subscriber.SubscribeAsync(Subscribe("sid/a/none"));

        await publisher.PublishAsync("sid/a", "both");
        await publisher.PublishAsync("sid/a/b", "hash only");
        await publisher.PublishAsync("sid/a/none", "hash and unnumbered");

        // [MQTT-3.3.4-3] one copy to the session, with every matching identifier [MQTT-3.3.4-4].
        ReceivedMessage both = await subscriber.NextAsync();
        Assert.Equal("both", both.Text);
        Assert.Equal([7u, 268_435_455u], both.Message.SubscriptionIdentifiers.Order());
        ReceivedMessage hashOnly = await subscriber.NextAsync();
        Assert.Equal([268_435_455u], hashOnly.Message.SubscriptionIdentifiers);
        ReceivedMessage mixed = await subscriber.NextAsync();
        Assert.Equal("hash and unnumbered", mixed.Text);
        Assert.Equal([268_435_455u], mixed.Message.SubscriptionIdentifiers);
        await subscriber.ExpectNothingMoreAsync(publisher);
    }

    [Fact]
    public async Task No_Local_keeps_a_client_from_receiving_its_own_messages()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer chatty = await MqttNetPeer.ConnectAsync(broker.Port, "chatty");
        await using MqttNetPeer other = await MqttNetPeer.ConnectAsync(broker.Port, "other");
        await chatty.SubscribeAsync(Subscribe("room/+", f => f.WithNoLocal(true)));
        await other.SubscribeAsync(Subscribe("room/+"));

        await chatty.PublishAsync("room/1", "mine");
        await other.PublishAsync("room/1", "theirs");

        // [MQTT-3.8.3-3] not forwarded to the connection that published it.
        Assert.Equal("theirs", (await chatty.NextAsync()).Text);
        Assert.Equal(["mine", "theirs"], (await other.NextAsync(2)).Select(m => m.Text));
        await chatty.ExpectNothingMoreAsync(other);
    }

    [Fact]
    public async Task Retain_As_Published_keeps_the_RETAIN_flag_on_forwarded_messages()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer keeps = await MqttNetPeer.ConnectAsync(broker.Port, "keeps");
        await using MqttNetPeer clears = await MqttNetPeer.ConnectAsync(broker.Port, "clears");
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        await keeps.SubscribeAsync(Subscribe("rap/t", f => f.WithRetainAsPublished(true)));
        await clears.SubscribeAsync(Subscribe("rap/t", f => f.WithRetainAsPublished(false)));

        await publisher.PublishAsync("rap/t", "r", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await publisher.PublishAsync("rap/t", "n", MqttQualityOfServiceLevel.AtLeastOnce, retain: false);

        Assert.Equal([("r", true), ("n", false)], (await keeps.NextAsync(2)).Select(m => (m.Text, m.Message.Retain)));
        Assert.Equal([("r", false), ("n", false)], (await clears.NextAsync(2)).Select(m => (m.Text, m.Message.Retain)));
    }

    [Theory]
    [InlineData(MqttRetainHandling.SendAtSubscribe, 2)]
    [InlineData(MqttRetainHandling.SendAtSubscribeIfNewSubscriptionOnly, 1)]
    [InlineData(MqttRetainHandling.DoNotSendOnSubscribe, 0)]
    public async Task Retain_Handling_decides_whether_retained_messages_come_with_each_SUBSCRIBE(MqttRetainHandling handling, int expected)
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        await publisher.PublishAsync("rh/t", "kept", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await using MqttNetPeer subscriber = await MqttNetPeer.ConnectAsync(broker.Port, "sub");

        // The same filter twice: the second SUBSCRIBE replaces the first (not a new subscription).
        await subscriber.SubscribeAsync(Subscribe("rh/t", f => f.WithRetainHandling(handling)));
        await subscriber.SubscribeAsync(Subscribe("rh/t", f => f.WithRetainHandling(handling)));
        List<ReceivedMessage> retained = await subscriber.ReceiveUntilMarkerAsync(publisher);

        Assert.Equal(expected, retained.Count);
        Assert.All(retained, m => Assert.Equal(("kept", true), (m.Text, m.Message.Retain)));
    }
}
