using MQTTnet;
using MQTTnet.Protocol;

namespace Mqtt.Interop.Tests.MqttNet;

/// <summary>Limits an MQTTnet client announces in CONNECT, honoured by the broker (3.1.2.11), and what CONNACK tells it.</summary>
public sealed class FlowControlTests
{
    [Fact]
    public async Task The_broker_keeps_no_more_QoS_1_messages_in_flight_than_the_clients_Receive_Maximum()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        await using MqttNetPeer slow = await MqttNetPeer.ConnectAsync(broker.Port, "slow", o => o.WithReceiveMaximum(2));
        slow.Acknowledge = false;
        await slow.SubscribeAsync("window/t", MqttQualityOfServiceLevel.AtLeastOnce);
        await slow.SubscribeAsync("window/marker", MqttQualityOfServiceLevel.AtMostOnce);

        for (int i = 0; i < 5; i++)
        {
            await publisher.PublishAsync("window/t", $"m{i}", MqttQualityOfServiceLevel.AtLeastOnce);
        }
        List<ReceivedMessage> first = await slow.NextAsync(2);
        // A QoS 0 marker is outside the window, so it arriving next proves m2 was held back [MQTT-3.3.4-9].
        await publisher.PublishAsync("window/marker", "marker", MqttQualityOfServiceLevel.AtMostOnce);
        Assert.Equal("window/marker", (await slow.NextAsync()).Topic);

        foreach (ReceivedMessage message in first)
        {
            await message.AcknowledgeAsync();
        }
        List<ReceivedMessage> next = await slow.NextAsync(2);
        await next[0].AcknowledgeAsync();
        ReceivedMessage last = await slow.NextAsync();

        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], first.Concat(next).Append(last).Select(m => m.Text));
    }

    [Fact]
    public async Task A_message_larger_than_the_clients_Maximum_Packet_Size_is_not_sent_to_it()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        await using MqttNetPeer small = await MqttNetPeer.ConnectAsync(broker.Port, "small", o => o.WithMaximumPacketSize(256));
        await using MqttNetPeer large = await MqttNetPeer.ConnectAsync(broker.Port, "large");
        await small.SubscribeAsync("size/#");
        await large.SubscribeAsync("size/#");

        await publisher.PublishAsync("size/big", new string('x', 1000));
        await publisher.PublishAsync("size/small", "fits");

        // [MQTT-3.1.2-24] [MQTT-3.1.2-25] too large for this client: dropped for it, delivered to the others.
        Assert.Equal(["size/big", "size/small"], (await large.NextAsync(2)).Select(m => m.Topic));
        Assert.Equal("fits", (await small.NextAsync()).Text);
        await small.ExpectNothingMoreAsync(publisher);
    }

    [Fact]
    public async Task An_MQTT_5_client_without_a_Client_Identifier_gets_one_assigned()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();

        await using MqttNetPeer anonymous = await MqttNetPeer.ConnectAsync(broker.Port, "");

        // [MQTT-3.2.2-16] the assigned identifier comes back in CONNACK.
        Assert.False(string.IsNullOrEmpty(anonymous.ConnectResult.AssignedClientIdentifier));
        await anonymous.SubscribeAsync("assigned/t");
        await anonymous.PublishAsync("assigned/t", "works");
        Assert.Equal("works", (await anonymous.NextAsync()).Text);
    }

    [Fact]
    public async Task CONNACK_tells_the_client_the_brokers_limits_and_PINGREQ_is_answered()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync(o =>
        {
            o.ReceiveMaximum = 20;
            o.MaximumPacketSize = 64 * 1024;
            o.MaximumKeepAlive = 15;
        });

        await using MqttNetPeer client = await MqttNetPeer.ConnectAsync(broker.Port, "limits", o => o.WithKeepAlivePeriod(TimeSpan.FromSeconds(60)));

        Assert.Equal((ushort)20, client.ConnectResult.ReceiveMaximum);
        Assert.Equal(64u * 1024, client.ConnectResult.MaximumPacketSize);
        Assert.Equal(15, client.ConnectResult.ServerKeepAlive);
        using var timeout = new CancellationTokenSource(Waits.Expected);
        await client.Client.PingAsync(timeout.Token);
    }

    [Fact]
    public async Task A_message_that_expired_while_the_subscriber_was_offline_is_not_delivered()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        await using (MqttNetPeer first = await MqttNetPeer.ConnectAsync(broker.Port, "away", o => o.WithSessionExpiryInterval(300)))
        {
            await first.SubscribeAsync("exp/t");
            await first.DisconnectAsync();
        }
        await broker.UntilConnectionsAsync(1);
        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("exp/t").WithPayload("short-lived").WithMessageExpiryInterval(1)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("exp/t").WithPayload("long-lived").WithMessageExpiryInterval(600)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        await using MqttNetPeer back = await MqttNetPeer.ConnectAsync(broker.Port, "away", o => o.WithCleanStart(false).WithSessionExpiryInterval(300));

        // [MQTT-3.3.2-5] an expired message is not delivered; the other one carries what is left of its expiry.
        ReceivedMessage kept = await back.NextAsync();
        Assert.Equal("long-lived", kept.Text);
        Assert.InRange(kept.Message.MessageExpiryInterval, 500u, 598u);
        await back.ExpectNothingMoreAsync(publisher);
    }
}
