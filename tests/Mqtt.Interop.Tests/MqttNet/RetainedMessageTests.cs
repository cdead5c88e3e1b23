using MQTTnet.Protocol;

namespace Mqtt.Interop.Tests.MqttNet;

/// <summary>Retained messages set, replaced and cleared by MQTTnet clients (3.3.1.3).</summary>
public sealed class RetainedMessageTests
{
    [Fact]
    public async Task A_retained_message_is_set_replaced_and_cleared()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");

        await publisher.PublishAsync("r/t", "v1", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await using (MqttNetPeer first = await MqttNetPeer.ConnectAsync(broker.Port, "first"))
        {
            await first.SubscribeAsync("r/t");
            ReceivedMessage v1 = await first.NextAsync();
            Assert.Equal("v1", v1.Text);
            Assert.True(v1.Message.Retain);
            await first.ExpectNothingMoreAsync(publisher);
        }

        await publisher.PublishAsync("r/t", "v2", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await using (MqttNetPeer second = await MqttNetPeer.ConnectAsync(broker.Port, "second"))
        {
            await second.SubscribeAsync("r/t");
            ReceivedMessage v2 = await second.NextAsync();
            Assert.Equal("v2", v2.Text);
            Assert.True(v2.Message.Retain);
            await second.ExpectNothingMoreAsync(publisher);
        }

        // [MQTT-3.3.1-6] a retained message with an empty payload clears the topic.
        await publisher.PublishAsync("r/t", "", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await using MqttNetPeer third = await MqttNetPeer.ConnectAsync(broker.Port, "third");
        await third.SubscribeAsync("r/t");
        await third.ExpectNothingMoreAsync(publisher);
    }

    [Fact]
    public async Task A_wildcard_subscription_gets_every_matching_retained_message_at_the_granted_QoS()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        await publisher.PublishAsync("house/kitchen/temp", "21", MqttQualityOfServiceLevel.ExactlyOnce, retain: true);
        await publisher.PublishAsync("house/hall/temp", "19", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await publisher.PublishAsync("house/hall/light", "on", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);

        await using MqttNetPeer subscriber = await MqttNetPeer.ConnectAsync(broker.Port, "sub");
        await subscriber.SubscribeAsync("house/+/temp", MqttQualityOfServiceLevel.AtMostOnce);

        List<ReceivedMessage> received = await subscriber.NextAsync(2);
        Assert.Equal(["house/hall/temp 19", "house/kitchen/temp 21"], received.Select(m => $"{m.Topic} {m.Text}").Order());
        Assert.All(received, m => Assert.True(m.Message.Retain));
        Assert.All(received, m => Assert.Equal(MqttQualityOfServiceLevel.AtMostOnce, m.Message.QualityOfServiceLevel));
        await subscriber.ExpectNothingMoreAsync(publisher);
    }

    [Fact]
    public async Task A_subscriber_already_subscribed_gets_a_retained_publish_without_the_RETAIN_flag()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer subscriber = await MqttNetPeer.ConnectAsync(broker.Port, "sub");
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        await subscriber.SubscribeAsync("live/t");

        await publisher.PublishAsync("live/t", "now", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);

        // [MQTT-3.3.1-12] without Retain As Published, a forwarded message has RETAIN 0.
        ReceivedMessage message = await subscriber.NextAsync();
        Assert.Equal("now", message.Text);
        Assert.False(message.Message.Retain);
    }
}
