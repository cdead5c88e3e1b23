using System.Text;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace Mqtt.Interop.Tests.MqttNet;

/// <summary>MQTT 5 PUBLISH properties travel from an MQTTnet publisher to an MQTTnet subscriber unchanged (3.3.2.3).</summary>
public sealed class MessagePropertyTests
{
    private static ReadOnlyMemory<byte> Utf8(string value) => Encoding.UTF8.GetBytes(value);

    [Fact]
    public async Task User_properties_content_type_response_topic_and_correlation_data_are_carried_unchanged()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer subscriber = await MqttNetPeer.ConnectAsync(broker.Port, "sub");
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        await subscriber.SubscribeAsync("props/#", MqttQualityOfServiceLevel.ExactlyOnce);
        byte[] correlation = [0x00, 0xFF, 0x10, 0x80, 0x7F];
        MqttApplicationMessage sent = new MqttApplicationMessageBuilder()
            .WithTopic("props/t")
            .WithPayload("{\"a\":1}")
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.ExactlyOnce)
            .WithContentType("application/json; charset=utf-8")
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
            .WithResponseTopic("props/replies/42")
            .WithCorrelationData(correlation)
            .WithMessageExpiryInterval(3600)
            .WithUserProperty("first", Utf8("1"))
            .WithUserProperty("dup", Utf8("a"))
            .WithUserProperty("dup", Utf8("b"))
            .WithUserProperty("ünïcødé", Utf8("värde ✓"))
            .WithUserProperty("empty", Utf8(""))
            .Build();

        await publisher.PublishAsync(sent);

        MqttApplicationMessage got = (await subscriber.NextAsync()).Message;
        Assert.Equal("application/json; charset=utf-8", got.ContentType);
        Assert.Equal(MqttPayloadFormatIndicator.CharacterData, got.PayloadFormatIndicator);
        Assert.Equal("props/replies/42", got.ResponseTopic);
        Assert.Equal(correlation, got.CorrelationData);
        // [MQTT-3.3.2-20] user properties keep their order, duplicates included [MQTT-3.3.2-18].
        Assert.Equal(
            [("first", "1"), ("dup", "a"), ("dup", "b"), ("ünïcødé", "värde ✓"), ("empty", "")],
            got.UserProperties.Select(p => (p.Name, p.ReadValueAsString())));
        // [MQTT-3.3.2-6] the expiry forwarded is what is left of it.
        Assert.InRange(got.MessageExpiryInterval, 3000u, 3600u);
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(got.Payload));
    }

    [Fact]
    public async Task A_request_is_answered_on_its_response_topic_with_its_correlation_data()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer responder = await MqttNetPeer.ConnectAsync(broker.Port, "responder");
        await using MqttNetPeer requester = await MqttNetPeer.ConnectAsync(broker.Port, "requester");
        await responder.SubscribeAsync("service/add");
        await requester.SubscribeAsync("clients/requester/replies");

        await requester.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("service/add").WithPayload("2+3")
            .WithResponseTopic("clients/requester/replies").WithCorrelationData([1, 2, 3])
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        MqttApplicationMessage request = (await responder.NextAsync()).Message;
        await responder.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(request.ResponseTopic).WithPayload("5")
            .WithCorrelationData(request.CorrelationData).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        ReceivedMessage response = await requester.NextAsync();
        Assert.Equal("5", response.Text);
        Assert.Equal([1, 2, 3], response.Message.CorrelationData);
    }

    [Fact]
    public async Task A_publisher_may_replace_its_topic_by_a_Topic_Alias()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer subscriber = await MqttNetPeer.ConnectAsync(broker.Port, "sub");
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        Assert.Equal(10, publisher.ConnectResult.TopicAliasMaximum);
        await subscriber.SubscribeAsync("sensors/#");

        // The first PUBLISH sets alias 1 (topic and alias), the next ones send only the alias (3.3.2.3.4).
        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("sensors/building-7/floor-3/temperature").WithTopicAlias(1).WithPayload("20.5").Build());
        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("").WithTopicAlias(1).WithPayload("20.6")
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("sensors/other").WithTopicAlias(2).WithPayload("x").Build());
        // Re-mapping alias 1 to another topic.
        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("sensors/remapped").WithTopicAlias(1).WithPayload("r").Build());
        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("").WithTopicAlias(1).WithPayload("r2").Build());
        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("").WithTopicAlias(2).WithPayload("x2").Build());

        List<ReceivedMessage> received = await subscriber.NextAsync(6);
        Assert.Equal(
            ["sensors/building-7/floor-3/temperature 20.5", "sensors/building-7/floor-3/temperature 20.6", "sensors/other x",
             "sensors/remapped r", "sensors/remapped r2", "sensors/other x2"],
            received.Select(m => $"{m.Topic} {m.Text}"));
        // Aliases are per connection and hop: the subscriber gets full topic names.
        Assert.All(received, m => Assert.Equal(0, m.Message.TopicAlias));
    }

    [Fact]
    public async Task A_Topic_Alias_above_the_maximum_gets_DISCONNECT_0x94()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");

        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("t").WithTopicAlias(11).WithPayload("x").Build());

        // [MQTT-3.3.2-9] [MQTT-3.3.2-10] a Topic Alias above Topic Alias Maximum is a protocol violation: 0x94.
        MqttClientDisconnectedEventArgs gone = await publisher.Disconnected.WaitAsync(Waits.Expected);
        Assert.Equal(MqttClientDisconnectReason.TopicAliasInvalid, gone.Reason);
    }
}
