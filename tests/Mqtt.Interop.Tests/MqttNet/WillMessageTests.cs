using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace Mqtt.Interop.Tests.MqttNet;

/// <summary>Will messages (3.1.2.5): published when a client vanishes, not when it says goodbye.</summary>
public sealed class WillMessageTests
{
    private static void WithWill(MqttClientOptionsBuilder options) => options
        .WithWillTopic("will/client")
        .WithWillPayload("gone")
        .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
        .WithWillContentType("text/plain")
        .WithWillUserProperty("why", "test"u8.ToArray().AsMemory());

    [Fact]
    public async Task The_Will_is_published_when_the_client_is_disposed_without_DISCONNECT()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer watcher = await MqttNetPeer.ConnectAsync(broker.Port, "watcher");
        await watcher.SubscribeAsync("will/#", MqttQualityOfServiceLevel.ExactlyOnce);
        MqttNetPeer dying = await MqttNetPeer.ConnectAsync(broker.Port, "dying", WithWill);

        dying.Client.Dispose();

        ReceivedMessage will = await watcher.NextAsync();
        Assert.Equal("will/client", will.Topic);
        Assert.Equal("gone", will.Text);
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, will.Message.QualityOfServiceLevel);
        Assert.Equal("text/plain", will.Message.ContentType);
        Assert.Equal(("why", "test"), (Assert.Single(will.Message.UserProperties).Name, will.Message.UserProperties[0].ReadValueAsString()));
    }

    [Fact]
    public async Task The_Will_is_published_when_the_TCP_connection_is_reset()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer watcher = await MqttNetPeer.ConnectAsync(broker.Port, "watcher");
        await watcher.SubscribeAsync("will/#");
        await using MqttNetPeer dying = await MqttNetPeer.ConnectAsync(broker.Port, "dying", WithWill, killable: true);

        dying.Stream!.Kill();

        Assert.Equal("gone", (await watcher.NextAsync()).Text);
    }

    [Fact]
    public async Task The_Will_is_not_published_after_a_normal_DISCONNECT()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer watcher = await MqttNetPeer.ConnectAsync(broker.Port, "watcher");
        await watcher.SubscribeAsync("will/#");
        await using MqttNetPeer leaving = await MqttNetPeer.ConnectAsync(broker.Port, "leaving", WithWill);

        await leaving.DisconnectAsync();
        await broker.UntilConnectionsAsync(1);

        // [MQTT-3.1.2-10] the Will is removed on a normal DISCONNECT.
        await watcher.ExpectNothingMoreAsync(watcher);
    }

    [Fact]
    public async Task The_Will_is_published_after_DISCONNECT_with_reason_0x04()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer watcher = await MqttNetPeer.ConnectAsync(broker.Port, "watcher");
        await watcher.SubscribeAsync("will/#");
        await using MqttNetPeer leaving = await MqttNetPeer.ConnectAsync(broker.Port, "leaving", WithWill);

        await leaving.DisconnectAsync(MqttClientDisconnectOptionsReason.DisconnectWithWillMessage);

        Assert.Equal("gone", (await watcher.NextAsync()).Text);
    }

    [Fact]
    public async Task A_retained_Will_is_kept_for_later_subscribers()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        MqttNetPeer dying = await MqttNetPeer.ConnectAsync(broker.Port, "dying", o => o.WithWillTopic("will/status").WithWillPayload("offline").WithWillRetain());
        dying.Client.Dispose();
        await broker.UntilConnectionsAsync(0);

        await using MqttNetPeer late = await MqttNetPeer.ConnectAsync(broker.Port, "late");
        await late.SubscribeAsync("will/status");

        ReceivedMessage will = await late.NextAsync();
        Assert.Equal("offline", will.Text);
        Assert.True(will.Message.Retain);
    }

    [Fact]
    public async Task Reconnecting_within_the_Will_Delay_Interval_cancels_the_Will()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer watcher = await MqttNetPeer.ConnectAsync(broker.Port, "watcher");
        await watcher.SubscribeAsync("will/#");
        void Delayed(MqttClientOptionsBuilder o)
        {
            WithWill(o);
            o.WithWillDelayInterval(5).WithSessionExpiryInterval(60).WithCleanStart(false);
        }
        MqttNetPeer first = await MqttNetPeer.ConnectAsync(broker.Port, "delayed", Delayed);
        first.Client.Dispose();
        await broker.UntilConnectionsAsync(1);

        // [MQTT-3.1.3-9] the Will is not sent if a new connection for the session arrives before the delay ends.
        await using MqttNetPeer second = await MqttNetPeer.ConnectAsync(broker.Port, "delayed", Delayed);
        Assert.True(second.ConnectResult.IsSessionPresent);
        await Task.Delay(TimeSpan.FromSeconds(6));

        await watcher.ExpectNothingMoreAsync(watcher);
    }

    [Fact]
    public async Task A_delayed_Will_is_published_once_the_delay_passes_without_the_client()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer watcher = await MqttNetPeer.ConnectAsync(broker.Port, "watcher");
        await watcher.SubscribeAsync("will/#");
        MqttNetPeer dying = await MqttNetPeer.ConnectAsync(broker.Port, "delayed", o =>
        {
            WithWill(o);
            o.WithWillDelayInterval(1).WithSessionExpiryInterval(60);
        });

        dying.Client.Dispose();

        // [MQTT-3.1.3-9] published when the Will Delay Interval has passed (or the session ended).
        Assert.Equal("gone", (await watcher.NextAsync()).Text);
    }
}
