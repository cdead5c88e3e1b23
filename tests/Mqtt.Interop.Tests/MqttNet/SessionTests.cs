using MQTTnet;
using MQTTnet.Protocol;

namespace Mqtt.Interop.Tests.MqttNet;

/// <summary>Persistent sessions (4.1): subscriptions and QoS 1/2 messages kept while the client is away.</summary>
public sealed class SessionTests
{
    private static Action<MqttClientOptionsBuilder> Persistent(bool cleanStart) =>
        o => o.WithCleanStart(cleanStart).WithSessionExpiryInterval(300);

    [Fact]
    public async Task Messages_published_while_offline_are_delivered_when_the_session_resumes()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        await using (MqttNetPeer first = await MqttNetPeer.ConnectAsync(broker.Port, "resumer", Persistent(cleanStart: true)))
        {
            Assert.False(first.ConnectResult.IsSessionPresent);
            await first.SubscribeAsync("s/#", MqttQualityOfServiceLevel.AtLeastOnce);
            await first.DisconnectAsync();
        }
        await broker.UntilConnectionsAsync(1);

        for (int i = 0; i < 5; i++)
        {
            MqttClientPublishResult result = await publisher.PublishAsync($"s/{i}", $"offline {i}", MqttQualityOfServiceLevel.AtLeastOnce);
            Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
        }

        await using MqttNetPeer resumed = await MqttNetPeer.ConnectAsync(broker.Port, "resumer", Persistent(cleanStart: false));
        Assert.True(resumed.ConnectResult.IsSessionPresent);
        List<ReceivedMessage> queued = await resumed.NextAsync(5);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"offline {i}"), queued.Select(m => m.Text));
        Assert.All(queued, m => Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, m.Message.QualityOfServiceLevel));

        // The subscription survived too: no new SUBSCRIBE is needed.
        await publisher.PublishAsync("s/live", "online");
        Assert.Equal("online", (await resumed.NextAsync()).Text);
    }

    [Fact]
    public async Task Unacknowledged_QoS_1_messages_are_resent_with_DUP_after_reconnecting()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        MqttNetPeer first = await MqttNetPeer.ConnectAsync(broker.Port, "forgetful", Persistent(cleanStart: true));
        first.Acknowledge = false;
        await first.SubscribeAsync("dup/t", MqttQualityOfServiceLevel.AtLeastOnce);
        await publisher.PublishAsync("dup/t", "once", MqttQualityOfServiceLevel.AtLeastOnce);
        ReceivedMessage original = await first.NextAsync();
        Assert.False(original.Message.Dup);
        first.Client.Dispose();
        await broker.UntilConnectionsAsync(1);

        await using MqttNetPeer resumed = await MqttNetPeer.ConnectAsync(broker.Port, "forgetful", Persistent(cleanStart: false));

        // [MQTT-4.4.0-1] unacknowledged PUBLISHes are resent, with DUP set [MQTT-3.3.1-1].
        ReceivedMessage again = await resumed.NextAsync();
        Assert.Equal("once", again.Text);
        Assert.True(again.Message.Dup);
        await resumed.ExpectNothingMoreAsync(publisher);
    }

    [Fact]
    public async Task Clean_Start_discards_the_old_session()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        await using (MqttNetPeer first = await MqttNetPeer.ConnectAsync(broker.Port, "cleaner", Persistent(cleanStart: true)))
        {
            await first.SubscribeAsync("c/t", MqttQualityOfServiceLevel.AtLeastOnce);
            await first.DisconnectAsync();
        }
        await broker.UntilConnectionsAsync(1);
        await publisher.PublishAsync("c/t", "lost", MqttQualityOfServiceLevel.AtLeastOnce);

        await using MqttNetPeer fresh = await MqttNetPeer.ConnectAsync(broker.Port, "cleaner", Persistent(cleanStart: true));

        Assert.False(fresh.ConnectResult.IsSessionPresent);
        await fresh.ExpectNothingMoreAsync(publisher);
        Assert.Equal(MqttClientPublishReasonCode.NoMatchingSubscribers, (await publisher.PublishAsync("c/t", "nobody")).ReasonCode);
    }

    [Fact]
    public async Task A_session_with_expiry_0_ends_with_its_connection()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using (MqttNetPeer first = await MqttNetPeer.ConnectAsync(broker.Port, "brief", o => o.WithCleanStart(false)))
        {
            await first.SubscribeAsync("b/t");
            await first.DisconnectAsync();
        }
        await broker.UntilConnectionsAsync(0);

        await using MqttNetPeer again = await MqttNetPeer.ConnectAsync(broker.Port, "brief", o => o.WithCleanStart(false));

        Assert.False(again.ConnectResult.IsSessionPresent);
    }

    [Fact]
    public async Task A_second_connection_with_the_same_Client_Identifier_takes_the_session_over()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub");
        await using MqttNetPeer first = await MqttNetPeer.ConnectAsync(broker.Port, "twin", Persistent(cleanStart: true));
        await first.SubscribeAsync("twin/t");

        await using MqttNetPeer second = await MqttNetPeer.ConnectAsync(broker.Port, "twin", Persistent(cleanStart: false));

        // [MQTT-3.1.4-3] the existing connection gets DISCONNECT 0x8E Session taken over.
        MqttClientDisconnectedEventArgs gone = await first.Disconnected.WaitAsync(Waits.Expected);
        Assert.Equal(MqttClientDisconnectReason.SessionTakenOver, gone.Reason);
        Assert.True(second.ConnectResult.IsSessionPresent);
        await publisher.PublishAsync("twin/t", "to the new one");
        Assert.Equal("to the new one", (await second.NextAsync()).Text);
    }
}
