namespace Mqtt.Broker.Tests;

/// <summary>
/// MQTT 3.1 clients (protocol name "MQIsdp", level 3; <c>mosquitto_pub -V mqttv31</c>, old devices) are served as 3.1.1
/// clients, with 3.1's two differences, as Mosquitto serves them: a Client Identifier is required, and CONNACK never
/// says Session Present (3.1 reserves that byte).
/// </summary>
public sealed class Mqtt31Tests
{
    private const ProtocolVersion V31 = ProtocolVersion.V310;

    [Fact]
    public async Task A_3_1_client_publishes_and_subscribes_at_every_qos()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient sub = await broker.ConnectAsync("old-sub", V31);
        await sub.SubscribeAsync("t", QoS2);
        await using RawClient pub = await broker.ConnectAsync("old-pub", V31);
        for (int qos = 0; qos <= 2; qos++)
        {
            await pub.PublishAsync("t", $"{qos}", (QualityOfService)qos);
            ReceivedPacket delivered = await sub.ExpectPublishPacketAsync();
            Assert.Equal($"{qos}", delivered.PayloadText);
            Assert.Equal((QualityOfService)qos, delivered.Publish.QoS);
        }
    }

    [Fact]
    public async Task A_3_1_client_without_a_client_identifier_is_refused_with_return_code_2()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync(V31);
        await client.SendConnectAsync("", cleanStart: true);
        await client.ExpectConnAckAsync(ReasonCode.ClientIdentifierNotValid);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task A_3_1_session_is_resumed_though_connack_does_not_say_so()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient first = await broker.ConnectAsync("old", V31, cleanStart: false))
        {
            await first.SubscribeAsync("t", QoS1);
            await first.SendAsync(new DisconnectPacket());
            await first.ExpectClosedAsync();
        }
        await using RawClient publisher = await broker.ConnectAsync("p", V31);
        await publisher.PublishAsync("t", "while away", QoS1);

        await using RawClient again = await broker.OpenAsync(V31);
        await again.SendConnectAsync("old", cleanStart: false);
        ReceivedPacket connAck = await again.ExpectAsync(PacketType.ConnAck);
        Assert.Equal(new byte[] { 0, 0 }, connAck.Body);
        Assert.Equal("while away", (await again.ExpectPublishPacketAsync()).PayloadText);
    }
}
