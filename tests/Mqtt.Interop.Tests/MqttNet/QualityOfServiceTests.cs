using MQTTnet;
using MQTTnet.Protocol;

namespace Mqtt.Interop.Tests.MqttNet;

/// <summary>The MQTTnet 5 client publishing and receiving through our broker at QoS 0, 1 and 2.</summary>
public sealed class QualityOfServiceTests
{
    [Theory]
    [InlineData(MqttQualityOfServiceLevel.AtMostOnce)]
    [InlineData(MqttQualityOfServiceLevel.AtLeastOnce)]
    [InlineData(MqttQualityOfServiceLevel.ExactlyOnce)]
    public async Task Messages_arrive_in_order_with_the_published_QoS(MqttQualityOfServiceLevel qos)
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer subscriber = await MqttNetPeer.ConnectAsync(broker.Port, "sub");
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        await subscriber.SubscribeAsync("qos/+", MqttQualityOfServiceLevel.ExactlyOnce);

        for (int i = 0; i < 20; i++)
        {
            MqttClientPublishResult result = await publisher.PublishAsync("qos/t", $"m{i}", qos);
            Assert.True(result.IsSuccess, result.ReasonCode.ToString());
        }

        List<ReceivedMessage> received = await subscriber.NextAsync(20);
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal($"m{i}", received[i].Text);
            Assert.Equal("qos/t", received[i].Topic);
            Assert.Equal(qos, received[i].Message.QualityOfServiceLevel);
            Assert.False(received[i].Message.Dup);
        }
        await subscriber.ExpectNothingMoreAsync(publisher);
    }

    [Theory]
    [InlineData(MqttQualityOfServiceLevel.ExactlyOnce, MqttQualityOfServiceLevel.AtMostOnce, MqttQualityOfServiceLevel.AtMostOnce)]
    [InlineData(MqttQualityOfServiceLevel.ExactlyOnce, MqttQualityOfServiceLevel.AtLeastOnce, MqttQualityOfServiceLevel.AtLeastOnce)]
    [InlineData(MqttQualityOfServiceLevel.AtLeastOnce, MqttQualityOfServiceLevel.ExactlyOnce, MqttQualityOfServiceLevel.AtLeastOnce)]
    public async Task Delivery_QoS_is_the_lower_of_published_and_granted(MqttQualityOfServiceLevel published, MqttQualityOfServiceLevel granted, MqttQualityOfServiceLevel expected)
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer subscriber = await MqttNetPeer.ConnectAsync(broker.Port, "sub");
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        await subscriber.SubscribeAsync("down/t", granted);

        await publisher.PublishAsync("down/t", "x", published);

        Assert.Equal(expected, (await subscriber.NextAsync()).Message.QualityOfServiceLevel);
    }

    [Fact]
    public async Task Binary_payloads_of_every_byte_value_and_64_KiB_arrive_unchanged()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer subscriber = await MqttNetPeer.ConnectAsync(broker.Port, "sub");
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        await subscriber.SubscribeAsync("bin", MqttQualityOfServiceLevel.ExactlyOnce);
        byte[] everyByte = new byte[256];
        for (int i = 0; i < everyByte.Length; i++)
        {
            everyByte[i] = (byte)i;
        }
        byte[] large = new byte[64 * 1024];
        new Random(7).NextBytes(large);

        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("bin").WithPayload(everyByte).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("bin").WithPayload(large).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.ExactlyOnce).Build());
        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("bin").WithPayload(Array.Empty<byte>()).Build());

        Assert.Equal(everyByte, (await subscriber.NextAsync()).Payload);
        Assert.Equal(large, (await subscriber.NextAsync()).Payload);
        Assert.Empty((await subscriber.NextAsync()).Payload);
    }

    [Fact]
    public async Task A_QoS_1_publish_without_subscribers_is_acknowledged_with_No_matching_subscribers()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");

        MqttClientPublishResult result = await publisher.PublishAsync("nobody/listens", "x", MqttQualityOfServiceLevel.AtLeastOnce);

        Assert.Equal(MqttClientPublishReasonCode.NoMatchingSubscribers, result.ReasonCode);
    }

    [Fact]
    public async Task Unsubscribing_stops_delivery()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer subscriber = await MqttNetPeer.ConnectAsync(broker.Port, "sub");
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        await subscriber.SubscribeAsync("u/#");
        await publisher.PublishAsync("u/1", "before");
        Assert.Equal("before", (await subscriber.NextAsync()).Text);

        MqttClientUnsubscribeResult result = await subscriber.Client.UnsubscribeAsync("u/#");
        await publisher.PublishAsync("u/1", "after");

        Assert.Equal(MqttClientUnsubscribeResultCode.Success, Assert.Single(result.Items).ResultCode);
        await subscriber.ExpectNothingMoreAsync(publisher);
    }
}
