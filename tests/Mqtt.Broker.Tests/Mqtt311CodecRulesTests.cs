namespace Mqtt.Broker.Tests;

public sealed class Mqtt311CodecRulesTests
{
    private static async Task ExpectClosedAsync(byte[] bytes)
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient bystander = await broker.ConnectAsync("bystander", V311);
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SendAsync(bytes);
        await client.ExpectClosedAsync();
        await bystander.ExpectNothingPendingAsync();
    }

    private static async Task ExpectConnectClosedAsync(byte[] connect)
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.OpenAsync(V311);
        await client.SendAsync(connect);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public Task MQTT311_1_5_3_2_topic_with_u0000_closes_the_connection() =>
        ExpectClosedAsync([0x30, 0x04, 0x00, 0x02, (byte)'a', 0x00]);

    [Fact]
    public Task MQTT311_3_3_1_2_qos0_publish_with_dup_closes_the_connection() =>
        ExpectClosedAsync([0x38, 0x03, 0x00, 0x01, (byte)'t']);

    [Fact]
    public Task MQTT311_2_3_1_1_subscribe_with_packet_id_0_closes_the_connection() =>
        ExpectClosedAsync([0x82, 0x06, 0x00, 0x00, 0x00, 0x01, (byte)'t', 0x00]);

    [Fact]
    public Task MQTT311_4_7_1_2_multi_level_wildcard_not_last_closes_the_connection() =>
        ExpectClosedAsync([0x82, 0x08, 0x00, 0x01, 0x00, 0x03, (byte)'#', (byte)'/', (byte)'a', 0x00]);

    [Fact]
    public Task MQTT311_4_7_1_3_single_level_wildcard_not_a_whole_level_closes_the_connection() =>
        ExpectClosedAsync([0x82, 0x07, 0x00, 0x01, 0x00, 0x02, (byte)'a', (byte)'+', 0x00]);

    [Fact]
    public Task MQTT311_4_7_1_1_wildcard_in_a_topic_name_closes_the_connection() =>
        ExpectClosedAsync([0x30, 0x05, 0x00, 0x03, (byte)'a', (byte)'/', (byte)'#']);

    [Fact]
    public Task MQTT311_3_8_3_1_subscribe_filter_that_is_not_utf8_closes_the_connection() =>
        ExpectClosedAsync([0x82, 0x07, 0x00, 0x01, 0x00, 0x02, 0xC3, 0x28, 0x00]);

    [Fact]
    public Task MQTT311_3_10_3_1_unsubscribe_filter_that_is_not_utf8_closes_the_connection() =>
        ExpectClosedAsync([0xA2, 0x05, 0x00, 0x01, 0x00, 0x01, 0xFF]);

    [Fact]
    public Task MQTT311_3_3_2_1_publish_too_short_for_its_topic_name_closes_the_connection() =>
        ExpectClosedAsync([0x30, 0x03, 0x00, 0x05, (byte)'t']);

    [Fact]
    public Task MQTT311_4_7_3_2_topic_filter_with_u0000_closes_the_connection() =>
        ExpectClosedAsync([0x82, 0x07, 0x00, 0x01, 0x00, 0x02, (byte)'a', 0x00, 0x00]);

    [Fact]
    public Task MQTT311_4_7_3_1_empty_topic_name_closes_the_connection() =>
        ExpectClosedAsync([0x30, 0x03, 0x00, 0x00, (byte)'p']);

    [Fact]
    public Task MQTT311_3_1_2_11_will_qos_without_will_flag_closes_without_connack()
    {
        byte[] connect = Wire.Encode(Wire.Connect("c", V311));
        connect[9] |= 0x10;
        return ExpectConnectClosedAsync(connect);
    }

    [Fact]
    public Task MQTT311_3_1_2_15_will_retain_without_will_flag_closes_without_connack()
    {
        byte[] connect = Wire.Encode(Wire.Connect("c", V311));
        connect[9] |= 0x20;
        return ExpectConnectClosedAsync(connect);
    }

    [Fact]
    public Task MQTT311_3_1_2_19_user_name_flag_without_user_name_closes_without_connack()
    {
        byte[] connect = Wire.Encode(Wire.Connect("c", V311));
        connect[9] |= 0x80;
        return ExpectConnectClosedAsync(connect);
    }

    [Fact]
    public Task MQTT311_3_1_3_4_client_id_that_is_not_utf8_closes_without_connack()
    {
        byte[] connect = Wire.Encode(Wire.Connect("c", V311));
        connect[^1] = 0xFE;
        return ExpectConnectClosedAsync(connect);
    }

    [Fact]
    public async Task MQTT311_1_5_3_3_bom_in_a_topic_is_kept()
    {
        await using var broker = await TestBroker.StartAsync();
        await using RawClient client = await broker.ConnectAsync("c", V311);
        await client.SubscribeAsync("\uFEFFx", QoS0);
        await using RawClient publisher = await broker.ConnectAsync("p", V311);
        await publisher.PublishAsync("x");
        await publisher.PublishAsync("\uFEFFx", "bom");
        await publisher.SyncAsync();
        ReceivedPacket p = await client.ExpectPublishPacketAsync();
        Assert.Equal("bom", p.PayloadText);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF, (byte)'x' }, p.Publish.Topic.ToArray());
        await client.ExpectNothingPendingAsync();
    }
}
