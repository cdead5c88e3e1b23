namespace Mqtt.Broker.Tests;

/// <summary>
/// A subscriber that stops reading: its queues stay within their bounds, the excess is dropped and counted,
/// and another subscriber of the same messages still gets every one. Counts only; no timing assertions.
/// </summary>
public sealed class SlowSubscriberTests
{
    private const int Messages = 1500;
    private const int Batch = 50;
    private const int MaximumQueued = 100;
    private const int SlowReceiveMaximum = 5;

    [Fact]
    public async Task MQTT5_sec_4_9_stuck_subscriber_stays_bounded_while_others_receive_everything()
    {
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.MaximumQueuedMessages = MaximumQueued;
            o.MaximumPendingQoS0 = 50;
            o.MaximumPublisherHold = TimeSpan.FromMilliseconds(200);
        });
        // Stuck on QoS 0: its socket fills, then its writer queue, then messages are dropped.
        await using RawClient stuckQoS0 = await broker.OpenAsync(receiveBufferSize: 4096);
        await stuckQoS0.ConnectAsync("stuck0");
        await stuckQoS0.SubscribeAsync("load/#", QoS0);
        // Stuck on QoS 1: a window of 5 in flight, MaximumQueued more queued, and the one that found the queue full and
        // held the publisher for the maximum hold; the rest dropped.
        await using RawClient stuckQoS1 = await broker.OpenAsync();
        await stuckQoS1.ConnectAsync("stuck1", properties: new MqttProperties { ReceiveMaximum = SlowReceiveMaximum });
        await stuckQoS1.SubscribeAsync("load/#", QoS1);
        await using RawClient healthy = await broker.ConnectAsync("healthy");
        await healthy.SubscribeAsync("load/#", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("publisher");

        byte[] payload = new byte[8 * 1024];
        int received = 0;
        for (int sent = 0; sent < Messages;)
        {
            for (int i = 0; i < Batch; i++, sent++)
            {
                await publisher.PublishAsync($"load/{sent % 7}", payload, QoS1);
            }
            // The healthy subscriber keeps up with every batch: nothing of its own is ever dropped.
            while (received < sent)
            {
                PublishPacket p = await healthy.ExpectPublishAsync();
                await healthy.SendAckAsync(PacketType.PubAck, p.PacketId);
                received++;
            }
        }
        Assert.Equal(Messages, received);
        await healthy.ExpectNothingPendingAsync();

        long dropped = broker.Statistics.MessagesDropped;
        const int Kept = SlowReceiveMaximum + MaximumQueued + 1;
        // The QoS 1 subscriber alone accounts for Messages - Kept drops.
        Assert.True(dropped >= Messages - Kept, $"only {dropped} drops counted");

        // Once it reads again, the stuck QoS 1 subscriber gets exactly what was kept for it, then nothing.
        int late = 0;
        for (int i = 0; i < Kept; i++)
        {
            PublishPacket p = await stuckQoS1.ExpectPublishAsync();
            await stuckQoS1.SendAckAsync(PacketType.PubAck, p.PacketId);
            late++;
        }
        Assert.Equal(Kept, late);
        await stuckQoS1.ExpectNothingPendingAsync();
        // The stuck QoS 0 subscriber got far fewer than were published: the rest was dropped, not buffered.
        int qos0 = 0;
        await stuckQoS0.SendPingAsync();
        for (int i = 0; i <= Messages; i++)
        {
            ReceivedPacket? packet = await stuckQoS0.ReadAsync();
            Assert.NotNull(packet);
            if (packet.Type == PacketType.PingResp)
            {
                break;
            }
            qos0++;
        }
        Assert.True(qos0 < Messages, $"the stuck QoS 0 subscriber got all {qos0} messages; nothing was dropped");
    }
}
