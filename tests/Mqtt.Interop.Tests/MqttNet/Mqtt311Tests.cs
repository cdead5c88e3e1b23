using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Mqtt.Interop.Tests.MqttNet;

/// <summary>The MQTTnet client speaking MQTT 3.1.1 (protocol level 4) to our broker, alone and next to MQTT 5 clients.</summary>
public sealed class Mqtt311Tests
{
    private const MqttProtocolVersion V311 = MqttProtocolVersion.V311;

    [Theory]
    [InlineData(MqttQualityOfServiceLevel.AtMostOnce)]
    [InlineData(MqttQualityOfServiceLevel.AtLeastOnce)]
    [InlineData(MqttQualityOfServiceLevel.ExactlyOnce)]
    public async Task Publish_and_subscribe_at_each_QoS(MqttQualityOfServiceLevel qos)
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer subscriber = await MqttNetPeer.ConnectAsync(broker.Port, "sub311", version: V311);
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub311", version: V311);
        await subscriber.SubscribeAsync("v311/#", MqttQualityOfServiceLevel.ExactlyOnce);

        for (int i = 0; i < 10; i++)
        {
            Assert.True((await publisher.PublishAsync("v311/t", $"m{i}", qos)).IsSuccess);
        }

        List<ReceivedMessage> received = await subscriber.NextAsync(10);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"m{i}"), received.Select(m => m.Text));
        Assert.All(received, m => Assert.Equal(qos, m.Message.QualityOfServiceLevel));
    }

    [Fact]
    public async Task Retained_messages_are_set_and_cleared()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub311", version: V311);
        await publisher.PublishAsync("v311/r", "kept", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await using (MqttNetPeer first = await MqttNetPeer.ConnectAsync(broker.Port, "first", version: V311))
        {
            await first.SubscribeAsync("v311/r");
            ReceivedMessage kept = await first.NextAsync();
            Assert.Equal(("kept", true), (kept.Text, kept.Message.Retain));
        }

        await publisher.PublishAsync("v311/r", "", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await using MqttNetPeer second = await MqttNetPeer.ConnectAsync(broker.Port, "second", version: V311);
        await second.SubscribeAsync("v311/r");

        await second.ExpectNothingMoreAsync(publisher);
    }

    [Fact]
    public async Task The_Will_is_published_on_an_unclean_drop_only()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer watcher = await MqttNetPeer.ConnectAsync(broker.Port, "watcher", version: V311);
        await watcher.SubscribeAsync("v311/will/+");
        MqttNetPeer dying = await MqttNetPeer.ConnectAsync(broker.Port, "dying", o => o.WithWillTopic("v311/will/dying").WithWillPayload("lost"), V311);
        await using MqttNetPeer polite = await MqttNetPeer.ConnectAsync(broker.Port, "polite", o => o.WithWillTopic("v311/will/polite").WithWillPayload("lost"), V311);

        await polite.DisconnectAsync();
        dying.Client.Dispose();
        await broker.UntilConnectionsAsync(1);

        Assert.Equal("v311/will/dying lost", string.Join(", ", (await watcher.ReceiveUntilMarkerAsync(watcher)).Select(m => $"{m.Topic} {m.Text}")));
    }

    [Fact]
    public async Task A_Clean_Session_0_session_keeps_QoS_1_messages_while_offline()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub311", version: V311);
        await using (MqttNetPeer first = await MqttNetPeer.ConnectAsync(broker.Port, "keeper", o => o.WithCleanSession(false), V311))
        {
            await first.SubscribeAsync("v311/s", MqttQualityOfServiceLevel.AtLeastOnce);
            await first.DisconnectAsync();
        }
        await broker.UntilConnectionsAsync(1);
        await publisher.PublishAsync("v311/s", "while away", MqttQualityOfServiceLevel.AtLeastOnce);

        await using MqttNetPeer back = await MqttNetPeer.ConnectAsync(broker.Port, "keeper", o => o.WithCleanSession(false), V311);

        Assert.True(back.ConnectResult.IsSessionPresent);
        Assert.Equal("while away", (await back.NextAsync()).Text);
    }

    [Fact]
    public async Task MQTT_3_1_1_and_MQTT_5_clients_exchange_messages()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer old = await MqttNetPeer.ConnectAsync(broker.Port, "old", version: V311);
        await using MqttNetPeer modern = await MqttNetPeer.ConnectAsync(broker.Port, "modern");
        await old.SubscribeAsync("mixed/to-old", MqttQualityOfServiceLevel.ExactlyOnce);
        await modern.SubscribeAsync("mixed/to-modern", MqttQualityOfServiceLevel.ExactlyOnce);

        await modern.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("mixed/to-old").WithPayload("hello old")
            .WithUserProperty("k", "v"u8.ToArray().AsMemory()).WithContentType("text/plain").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.ExactlyOnce).Build());
        await old.PublishAsync("mixed/to-modern", "hello modern", MqttQualityOfServiceLevel.ExactlyOnce);

        ReceivedMessage atOld = await old.NextAsync();
        Assert.Equal(("hello old", MqttQualityOfServiceLevel.ExactlyOnce), (atOld.Text, atOld.Message.QualityOfServiceLevel));
        ReceivedMessage atModern = await modern.NextAsync();
        Assert.Equal(("hello modern", MqttQualityOfServiceLevel.ExactlyOnce), (atModern.Text, atModern.Message.QualityOfServiceLevel));
    }
}
