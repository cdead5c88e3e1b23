namespace Mqtt.Broker.Tests;

/// <summary>MQTT 5.0 3.3.2.3: PUBLISH properties the server forwards unchanged, and Message Expiry.</summary>
public sealed class Mqtt5PropertiesTests
{
    private static async Task<PublishPacket> RoundTripAsync(TestBroker broker, MqttProperties properties, string subscriberId)
    {
        await using RawClient sub = await broker.ConnectAsync(subscriberId);
        await sub.SubscribeAsync("req/" + subscriberId, QoS1);
        await using RawClient client = await broker.ConnectAsync("pub-" + subscriberId);
        await client.PublishAsync("req/" + subscriberId, "payload", QoS1, properties: properties);
        return await sub.ExpectPublishAsync();
    }

    [Fact]
    public async Task MQTT5_3_3_2_4_payload_format_indicator_is_forwarded_unchanged()
    {
        await using var broker = await TestBroker.StartAsync();
        PublishPacket p = await RoundTripAsync(broker, new MqttProperties { PayloadFormatIndicator = 1 }, "pfi");
        Assert.Equal((byte)1, p.Properties.PayloadFormatIndicator);
        PublishPacket q = await RoundTripAsync(broker, new MqttProperties { PayloadFormatIndicator = 0 }, "pfi0");
        Assert.Equal((byte)0, q.Properties.PayloadFormatIndicator);
    }

    [Fact]
    public async Task MQTT5_3_3_2_15_response_topic_is_forwarded_unchanged()
    {
        await using var broker = await TestBroker.StartAsync();
        PublishPacket p = await RoundTripAsync(broker, new MqttProperties { ResponseTopic = Wire.Text("reply/to/me") }, "rt");
        Assert.Equal("reply/to/me", MqttUtf8.GetString(p.Properties.ResponseTopic!.Value));
    }

    [Fact]
    public async Task MQTT5_3_3_2_16_correlation_data_is_forwarded_unchanged()
    {
        await using var broker = await TestBroker.StartAsync();
        byte[] correlation = [0, 1, 2, 255, 254, 0];
        PublishPacket p = await RoundTripAsync(broker, new MqttProperties { CorrelationData = new(correlation) }, "cd");
        Assert.Equal(correlation, p.Properties.CorrelationData!.Value.ToArray());
    }

    [Fact]
    public async Task MQTT5_3_3_2_17_all_user_properties_are_forwarded_and_3_3_2_18_keep_their_order()
    {
        await using var broker = await TestBroker.StartAsync();
        (string, string)[] pairs = [("b", "1"), ("a", "2"), ("b", "3"), ("ключ", "значение"), ("a", "")];
        PublishPacket p = await RoundTripAsync(broker, new MqttProperties { UserProperties = UserProperties.Create(pairs) }, "up");
        Assert.Equal(pairs, Wire.Pairs(p.Properties.UserProperties));
    }

    [Fact]
    public async Task MQTT5_3_3_2_20_content_type_is_forwarded_unchanged()
    {
        await using var broker = await TestBroker.StartAsync();
        PublishPacket p = await RoundTripAsync(broker, new MqttProperties { ContentType = Wire.Text("application/cbor; v=2") }, "ct");
        Assert.Equal("application/cbor; v=2", MqttUtf8.GetString(p.Properties.ContentType!.Value));
    }

    [Fact]
    public async Task MQTT5_sec_4_10_request_response_properties_all_together_reach_a_311_subscriber_as_plain_message()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient old = await broker.ConnectAsync("old", V311);
        await old.SubscribeAsync("req/x", QoS1);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("req/x", "hi", QoS1, properties: new MqttProperties
        {
            ResponseTopic = Wire.Text("resp/x"),
            CorrelationData = Wire.Text("c"),
            UserProperties = UserProperties.Create(("k", "v")),
        });
        ReceivedPacket p = await old.ExpectPublishPacketAsync();
        Assert.Equal("req/x", p.Topic);
        Assert.Equal("hi", p.PayloadText);
    }

    [Fact]
    public async Task MQTT5_3_3_2_5_message_expired_before_delivery_is_dropped()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient sub = await broker.ConnectAsync("sub", properties: Persistent()))
        {
            await sub.SubscribeAsync("t", QoS1);
            sub.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("t", "stale", QoS1, properties: new MqttProperties { MessageExpiryInterval = 1 });
        await client.PublishAsync("t", "fresh", QoS1, properties: new MqttProperties { MessageExpiryInterval = 600 });
        await Task.Delay(2200);
        await using RawClient resumed = await broker.OpenAsync();
        await resumed.ConnectAsync("sub", cleanStart: false, properties: Persistent());
        ReceivedPacket p = await resumed.ExpectPublishPacketAsync();
        Assert.Equal("fresh", p.PayloadText);
        await resumed.SendAckAsync(PacketType.PubAck, p.Publish.PacketId);
        await resumed.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_3_3_2_6_forwarded_expiry_is_reduced_by_the_time_spent_in_the_server()
    {
        await using var broker = await TestBroker.StartAsync();
        await using (RawClient sub = await broker.ConnectAsync("sub", properties: Persistent()))
        {
            await sub.SubscribeAsync("t", QoS1);
            sub.Drop();
        }
        await broker.WaitForOpenConnectionsAsync(0);
        await using RawClient client = await broker.ConnectAsync("pub");
        await client.PublishAsync("t", "aging", QoS1, properties: new MqttProperties { MessageExpiryInterval = 60 });
        await Task.Delay(2100);
        await using RawClient resumed = await broker.OpenAsync();
        await resumed.ConnectAsync("sub", cleanStart: false, properties: Persistent());
        PublishPacket p = await resumed.ExpectPublishAsync();
        Assert.NotNull(p.Properties.MessageExpiryInterval);
        Assert.InRange(p.Properties.MessageExpiryInterval.Value, 1u, 58u);
    }

    [Fact]
    public async Task MQTT5_3_3_2_6_message_without_expiry_is_forwarded_without_expiry()
    {
        await using var broker = await TestBroker.StartAsync();
        PublishPacket p = await RoundTripAsync(broker, default, "noexp");
        Assert.Null(p.Properties.MessageExpiryInterval);
    }
}
