using MQTTnet;

namespace Mqtt.Interop.Tests.MqttNet;

/// <summary>Stopping an embedded broker tells MQTT 5 clients why they are being disconnected.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task StopAsync_sends_DISCONNECT_0x8B_Server_shutting_down_to_MQTT_5_clients()
    {
        EmbeddedBroker broker = await EmbeddedBroker.StartAsync();
        await using MqttNetPeer client = await MqttNetPeer.ConnectAsync(broker.Port, "client");

        await broker.DisposeAsync();

        MqttClientDisconnectedEventArgs gone = await client.Disconnected.WaitAsync(Waits.Expected);
        Assert.Equal(MqttClientDisconnectReason.ServerShuttingDown, gone.Reason);
    }
}
