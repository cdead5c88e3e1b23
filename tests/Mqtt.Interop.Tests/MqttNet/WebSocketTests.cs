using System.Net;
using System.Security.Cryptography;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Mqtt.Interop.Tests.MqttNet;

/// <summary>The MQTTnet 5 client over WebSocket (its System.Net.WebSockets channel) through our broker's ws listener.</summary>
public sealed class WebSocketTests
{
    private static Task<EmbeddedBroker> StartAsync() =>
        EmbeddedBroker.StartAsync(o => o.WebSocketListeners.Add(new IPEndPoint(IPAddress.Loopback, 0)));

    private static int WebSocketPort(EmbeddedBroker broker) => broker.Broker.Endpoints.Single(e => e.Scheme == "ws").EndPoint.Port;

    private static Task<MqttNetPeer> ConnectOverWebSocketAsync(EmbeddedBroker broker, string clientId,
        MqttProtocolVersion version = MqttProtocolVersion.V500) =>
        MqttNetPeer.ConnectOverWebSocketAsync($"ws://127.0.0.1:{WebSocketPort(broker)}/mqtt", clientId, version);

    [Theory]
    [InlineData(MqttProtocolVersion.V500)]
    [InlineData(MqttProtocolVersion.V311)]
    public async Task Messages_flow_between_websocket_and_tcp_clients_at_every_qos(MqttProtocolVersion version)
    {
        await using EmbeddedBroker broker = await StartAsync();
        await using MqttNetPeer overWebSocket = await ConnectOverWebSocketAsync(broker, "ws", version);
        await using MqttNetPeer overTcp = await MqttNetPeer.ConnectAsync(broker.Port, "tcp", version: version);
        await overWebSocket.SubscribeAsync("to/ws", MqttQualityOfServiceLevel.ExactlyOnce);
        await overTcp.SubscribeAsync("to/tcp", MqttQualityOfServiceLevel.ExactlyOnce);
        byte[] large = RandomNumberGenerator.GetBytes(300_000);

        foreach (MqttQualityOfServiceLevel qos in Enum.GetValues<MqttQualityOfServiceLevel>())
        {
            var message = new MqttApplicationMessageBuilder().WithTopic("to/ws").WithPayload(large).WithQualityOfServiceLevel(qos).Build();
            Assert.True((await overTcp.PublishAsync(message)).IsSuccess);
            ReceivedMessage toWebSocket = await overWebSocket.NextAsync();
            Assert.Equal(large, toWebSocket.Payload);
            Assert.Equal(qos, toWebSocket.Message.QualityOfServiceLevel);

            Assert.True((await overWebSocket.PublishAsync("to/tcp", $"qos {(int)qos}", qos)).IsSuccess);
            ReceivedMessage toTcp = await overTcp.NextAsync();
            Assert.Equal($"qos {(int)qos}", toTcp.Text);
            Assert.Equal(qos, toTcp.Message.QualityOfServiceLevel);
        }
        await overWebSocket.ExpectNothingMoreAsync(overTcp);
    }

    [Fact]
    public async Task A_retained_message_reaches_a_websocket_subscriber()
    {
        await using EmbeddedBroker broker = await StartAsync();
        await using (MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "pub"))
        {
            // QoS 1: the PUBACK says the broker has it before the subscription (at QoS 0 a loaded broker could take the
            // subscription first and forward the message live, without RETAIN).
            var retained = new MqttApplicationMessageBuilder().WithTopic("r/t").WithPayload("kept").WithRetainFlag()
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
            Assert.True((await publisher.PublishAsync(retained)).IsSuccess);
        }
        await using MqttNetPeer subscriber = await ConnectOverWebSocketAsync(broker, "ws-sub");
        await subscriber.SubscribeAsync("r/#", MqttQualityOfServiceLevel.AtLeastOnce);
        ReceivedMessage message = await subscriber.NextAsync();
        Assert.Equal("kept", message.Text);
        Assert.True(message.Message.Retain);
    }

    [Fact]
    public async Task A_websocket_client_disconnects_cleanly()
    {
        await using EmbeddedBroker broker = await StartAsync();
        MqttNetPeer client = await ConnectOverWebSocketAsync(broker, "leaving");
        await broker.UntilConnectionsAsync(1);
        await client.DisconnectAsync();
        await client.DisposeAsync();
        await broker.UntilConnectionsAsync(0);
    }
}
