using System.Buffers.Binary;

namespace Mqtt.Broker.Tests;

/// <summary>
/// BrokerOptions.MaximumQueuedBytes (docs/broker.md, "Queues and drops"): a connection's outbound bytes stay
/// within the bound plus one message. Over it, QoS 0 deliveries are dropped and counted, QoS 1 deliveries wait in
/// the session and all arrive once the client reads, and the connection's own input is not read until its output
/// drains. Checked through the queued byte count and the statistics, not timing.
/// </summary>
public sealed class QueuedBytesBoundTests
{
    private const int Bound = 64 * 1024;
    private const int PayloadSize = 16 * 1024;
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Client_publishing_QoS0_to_itself_without_reading_is_no_longer_read_and_its_queue_stays_bounded()
    {
        // More than the kernel's socket buffers on both sides (tcp_wmem allows 4 MiB): the broker sends what fits
        // into its send buffer at once, so only once that is full does its queue stay over the bound.
        const int Messages = 1200;
        await using var broker = await TestBroker.StartAsync(o => o.MaximumQueuedBytes = Bound);
        await using RawClient client = await broker.OpenAsync(receiveBufferSize: 4096);
        await client.ConnectAsync("echo");
        await client.SubscribeAsync("echo/t", QoS0);
        MqttConnection connection = broker.Broker.ConnectionOf("echo")!;

        // 19 MB at the broker while never reading what it sends back.
        Task publishing = Task.Run(async () =>
        {
            for (int i = 0; i < Messages; i++)
            {
                await client.SendAsync(Publish("echo/t", i, PayloadSize, QoS0), Generous);
            }
        });
        await Eventually.TrueAsync(() => connection.IsInputPaused || publishing.IsCompleted, "the broker to stop reading the client", Generous);
        Assert.True(connection.IsInputPaused, "the broker read all the client's input although its queue towards it was over the bound");
        Assert.True(connection.QueuedBytes <= Bound + PayloadSize + 64, $"{connection.QueuedBytes} bytes queued for a bound of {Bound}");

        // Reading again lets the broker read again: every message is either delivered or counted as dropped.
        Task<int> reading = CountPublishesUntilPingRespAsync(client);
        await publishing.WaitAsync(Generous);
        await client.SendPingAsync();
        int received = await reading.WaitAsync(Generous);
        Assert.Equal(Messages, received + broker.Statistics.BackedUpDrops);
        Assert.False(connection.IsInputPaused);
    }

    [Fact]
    public async Task Subscriber_over_the_bound_loses_QoS0_deliveries_and_no_QoS1_delivery()
    {
        const int EachQoS = 50;
        const int Payload = 64 * 1024;
        await using var broker = await TestBroker.StartAsync(o => o.MaximumQueuedBytes = Bound);
        await using RawClient stuck = await broker.OpenAsync(receiveBufferSize: 4096);
        await stuck.ConnectAsync("stuck");
        await stuck.SubscribeAsync("feed/#", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("publisher");
        MqttConnection connection = broker.Broker.ConnectionOf("stuck")!;

        for (int i = 0; i < EachQoS; i++)
        {
            await publisher.SendAsync(Publish("feed/0", i, Payload, QoS0));
            Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("feed/1", Numbered(i, Payload), QoS1));
        }
        await publisher.SyncAsync();

        // 6.4 MB routed to a client that reads nothing: the broker holds at most the bound plus one message for it.
        Assert.True(connection.QueuedBytes <= Bound + Payload + 64, $"{connection.QueuedBytes} bytes queued for a bound of {Bound}");
        Assert.True(broker.Statistics.BackedUpDrops > 0, "no QoS 0 delivery was dropped");

        // Once it reads: every QoS 1 message, in order; QoS 0 ones delivered or counted as dropped.
        int qos0 = 0;
        var qos1 = new List<int>();
        for (int packets = 0; qos1.Count < EachQoS && packets < 2 * EachQoS; packets++)
        {
            PublishPacket publish = await stuck.ExpectPublishAsync(Generous);
            if (publish.QoS == QoS0)
            {
                qos0++;
                continue;
            }
            qos1.Add(NumberOf(publish));
            await stuck.SendAckAsync(PacketType.PubAck, publish.PacketId);
        }
        Assert.Equal(Enumerable.Range(0, EachQoS), qos1);
        await stuck.SendPingAsync();
        qos0 += await CountPublishesUntilPingRespAsync(stuck);
        Assert.Equal(EachQoS, qos0 + broker.Statistics.BackedUpDrops);
    }

    /// <summary>
    /// A new subscription's retained messages go out as the client takes them: one that reads nothing has at most the
    /// bound plus one message queued for it (before, the whole burst: a `#` subscriber that never reads held a queued
    /// packet per retained message, 27 MB each for 200,000 in a load test), and once it reads it gets every one, in
    /// order, with the live messages routed meanwhile after them.
    /// </summary>
    [Fact]
    public async Task Retained_burst_for_a_new_subscription_is_sent_as_the_client_reads_it()
    {
        const int Messages = 4000; // 16 MiB: more than the kernel's buffers on both sides take
        const int Payload = 4 * 1024;
        await using var broker = await TestBroker.StartAsync(o => o.MaximumQueuedBytes = Bound);
        await RetainNumberedAsync(broker, "burst", Messages, Payload, QoS0);
        await using RawClient publisher = await broker.ConnectAsync("publisher");
        await using RawClient stuck = await broker.OpenAsync(receiveBufferSize: 4096);
        await stuck.ConnectAsync("stuck");
        await stuck.SubscribeAsync("burst/#", QoS0);
        MqttConnection connection = broker.Broker.ConnectionOf("stuck")!;
        for (int i = 0; i < 10; i++)
        {
            Assert.True(connection.QueuedBytes <= Bound + Payload + 64, $"{connection.QueuedBytes} bytes queued for a bound of {Bound}");
            await Task.Delay(100);
        }
        await publisher.PublishAsync("burst/live", Numbered(Messages, Payload), QoS0);

        var numbers = new List<int>();
        for (int i = 0; i <= Messages; i++)
        {
            numbers.Add(NumberOf(await stuck.ExpectPublishAsync(Generous)));
        }
        Assert.Equal(Enumerable.Range(0, Messages + 1), numbers);
        Assert.Equal(0, broker.Statistics.MessagesDropped);
    }

    /// <summary>Likewise at QoS 1: the session's queue holds no more than its limit, the rest waits for room.</summary>
    [Fact]
    public async Task Retained_QoS1_burst_for_a_new_subscription_waits_for_room_in_the_queue()
    {
        const int Messages = 500;
        const int QueueLimit = 20;
        await using var broker = await TestBroker.StartAsync(o => o.MaximumQueuedMessages = QueueLimit);
        await RetainNumberedAsync(broker, "burst", Messages, 16, QoS1);
        await using RawClient slow = await broker.OpenAsync();
        await slow.ConnectAsync("slow", properties: new MqttProperties { ReceiveMaximum = 5 });
        await slow.SubscribeAsync("burst/#", QoS1);
        Session session = broker.Broker.SessionOf("slow")!;

        var numbers = new List<int>();
        for (int i = 0; i < Messages; i++)
        {
            Assert.True(session.QueuedCount <= QueueLimit, $"{session.QueuedCount} queued for a limit of {QueueLimit}");
            PublishPacket publish = await slow.ExpectPublishAsync(Generous);
            numbers.Add(NumberOf(publish));
            await slow.SendAckAsync(PacketType.PubAck, publish.PacketId);
        }
        Assert.Equal(Enumerable.Range(0, Messages), numbers);
        await slow.ExpectNothingPendingAsync();
        Assert.Equal(0, broker.Statistics.MessagesDropped);
    }

    /// <summary>
    /// Live messages wait behind a retained burst the client has yet to take, QoS 0 and QoS 1 ones each within its own
    /// bound: a flood of QoS 0 messages past theirs is dropped without crowding out a QoS 1 message.
    /// </summary>
    [Fact]
    public async Task Live_messages_behind_a_waiting_retained_burst_are_bounded_by_QoS()
    {
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.MaximumQueuedMessages = 3;
            o.MaximumPendingQoS0 = 5;
        });
        await RetainNumberedAsync(broker, "held/r", 10, 16, QoS1);
        await using RawClient publisher = await broker.ConnectAsync("publisher");
        await using RawClient slow = await broker.ConnectAsync("slow", properties: new MqttProperties { ReceiveMaximum = 1 });
        await slow.SubscribeAsync("held/#", QoS1);
        PublishPacket first = await slow.ExpectPublishAsync();
        // Unacknowledged, it keeps the burst waiting (one in flight, three queued, six to come) while these are routed.
        for (int i = 100; i < 110; i++)
        {
            await publisher.PublishAsync("held/live", Numbered(i, 16), QoS0);
        }
        await publisher.PublishAsync("held/live", Numbered(200, 16), QoS1);
        await publisher.SyncAsync();

        // In order within each QoS, as MQTT orders them (a QoS 0 message goes out ahead of QoS 1 ones still queued).
        var qos1 = new List<int> { NumberOf(first) };
        var qos0 = new List<int>();
        await slow.SendAckAsync(PacketType.PubAck, first.PacketId);
        while (qos1[^1] != 200 && qos1.Count + qos0.Count < 30)
        {
            PublishPacket publish = await slow.ExpectPublishAsync();
            (publish.QoS == QoS1 ? qos1 : qos0).Add(NumberOf(publish));
            if (publish.QoS == QoS1)
            {
                await slow.SendAckAsync(PacketType.PubAck, publish.PacketId);
            }
        }
        Assert.Equal([.. Enumerable.Range(0, 10), 200], qos1);
        Assert.Equal(Enumerable.Range(100, 5), qos0);
        await slow.ExpectNothingPendingAsync();
        Assert.Equal(5, broker.Statistics.MessagesDropped);
        Assert.Equal(5, broker.Statistics.BackedUpDrops);
    }

    /// <summary>
    /// A client that leaves while its retained burst waits keeps, in its session, what an offline queue keeps: the
    /// next messages up to the queue's limit. The rest are not sent, and not counted as dropped: no publication was lost.
    /// </summary>
    [Fact]
    public async Task Retained_burst_waiting_when_its_client_leaves_is_kept_as_an_offline_queue_would()
    {
        const int Messages = 50;
        const int QueueLimit = 10;
        await using var broker = await TestBroker.StartAsync(o => o.MaximumQueuedMessages = QueueLimit);
        await RetainNumberedAsync(broker, "kept", Messages, 16, QoS1);
        var persistent = new MqttProperties { SessionExpiryInterval = 300, ReceiveMaximum = 1 };
        await using (RawClient away = await broker.ConnectAsync("away", properties: persistent))
        {
            await away.SubscribeAsync("kept/#", QoS1);
            Assert.Equal(0, NumberOf(await away.ExpectPublishAsync()));
        }
        await Eventually.TrueAsync(() => broker.Broker.ConnectionOf("away") is null, "the broker to see the client leave");

        await using RawClient back = await broker.ConnectAsync("away", cleanStart: false, properties: persistent);
        // After each acknowledgement the next message, if any, comes before the answer to a PINGREQ sent after it.
        var numbers = new List<int>();
        PublishPacket publish = await back.ExpectPublishAsync();
        for (int i = 0; i < Messages; i++)
        {
            numbers.Add(NumberOf(publish));
            await back.SendAckAsync(PacketType.PubAck, publish.PacketId);
            await back.SendPingAsync();
            ReceivedPacket next = (await back.ReadAsync())!;
            if (next.Type == PacketType.PingResp)
            {
                break;
            }
            publish = next.Publish;
            Assert.Equal(PacketType.PingResp, (await back.ReadAsync())!.Type);
        }
        // The one in flight again, then the queue's.
        Assert.True(numbers.Count > QueueLimit, $"{numbers.Count} messages kept");
        Assert.Equal(Enumerable.Range(0, numbers.Count), numbers);
        Assert.True(numbers.Count < Messages, "the whole burst was kept");
        Assert.Equal(0, broker.Statistics.MessagesDropped);
    }

    /// <summary>
    /// QoS 1 messages routed to a client while its retained burst waits, and accepted for it, are not lost when it
    /// leaves: its session queues them as for an offline client (the QoS 0 burst itself is not kept, as QoS 0 never is).
    /// </summary>
    [Fact]
    public async Task Messages_held_behind_a_retained_burst_are_queued_when_the_client_leaves()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumQueuedBytes = Bound);
        await RetainNumberedAsync(broker, "big", 1000, PayloadSize, QoS0);
        await using RawClient publisher = await broker.ConnectAsync("publisher");
        var persistent = new MqttProperties { SessionExpiryInterval = 300 };
        await using (RawClient away = await broker.OpenAsync(receiveBufferSize: 4096))
        {
            await away.ConnectAsync("away", properties: persistent);
            await away.SubscribeAsync("live", QoS1);
            await away.SubscribeAsync("big/#", QoS1); // 16 MiB at QoS 0 it does not read
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("live", Numbered(i, 16), QoS1));
            }
        }
        await Eventually.TrueAsync(() => broker.Broker.ConnectionOf("away") is null, "the broker to see the client leave");

        await using RawClient back = await broker.ConnectAsync("away", cleanStart: false, properties: persistent);
        for (int i = 0; i < 3; i++)
        {
            PublishPacket publish = await back.ExpectPublishAsync();
            Assert.Equal(("live", i), (publish.TopicString, NumberOf(publish)));
            await back.SendAckAsync(PacketType.PubAck, publish.PacketId);
        }
        await back.ExpectNothingPendingAsync();
        Assert.Equal(0, broker.Statistics.MessagesDropped);
    }

    /// <summary>
    /// A retained burst far over the bound pauses the subscriber's input until it has read most of it: its PINGREQs wait
    /// unread meanwhile. It reads steadily, so it is alive: before, the keep alive check went by the last packet read
    /// and dropped it (DISCONNECT 0x8D queued behind the burst, then a reset) 1.5 x Keep Alive after its SUBSCRIBE.
    /// </summary>
    [Fact]
    public async Task MQTT5_3_1_2_22_a_subscriber_reading_a_long_retained_burst_is_not_dropped_for_keep_alive()
    {
        await using var broker = await TestBroker.StartAsync(o => o.MaximumQueuedBytes = Bound);
        await RetainBurstAsync(broker);
        await using RawClient slow = await broker.OpenAsync(receiveBufferSize: 4096);
        await slow.ConnectAsync("slow", keepAlive: 2); // 1 s failed twice on a loaded machine: a flush of 512 KiB can take that long
        await slow.SubscribeAsync("ka/#", QoS0);
        MqttConnection connection = broker.Broker.ConnectionOf("slow")!;
        await PauseInputAsync(slow, connection);

        // 12 MiB at about 1.3 MiB/s: the burst outlasts 1.5 x Keep Alive (3 s) about three times over (kernel buffers take
        // 4 MiB at most), and the loop below reads for longer than 3 s.
        int received = 0;
        for (int i = 0; i < 12; i++)
        {
            await slow.SendPingAsync();
            ReceivedPacket? packet = await slow.ReadAsync(Generous);
            Assert.True(packet is { Type: PacketType.Publish or PacketType.PingResp }, $"after {received} messages the broker sent {packet?.Type.ToString() ?? "nothing (closed)"}");
            received += packet!.Type == PacketType.Publish ? 1 : 0;
            await Task.Delay(400);
        }
        Assert.True(received > 0);
        Assert.Same(connection, broker.Broker.ConnectionOf("slow"));
    }

    /// <summary>
    /// The same burst to a subscriber that keeps pinging but reads nothing for longer than 1.5 x Keep Alive: no send
    /// completes, yet its PINGREQs arriving unread show it is there (a slow reader can stall sends that long: kernel
    /// buffers refill in large steps). Before, it was dropped with 0x8D 1.5 x Keep Alive after its input was paused.
    /// </summary>
    [Fact]
    public async Task MQTT5_3_1_2_22_a_subscriber_whose_input_is_paused_is_kept_while_its_PINGREQs_arrive()
    {
        (TestBroker broker, RawClient pinging, MqttConnection connection) = await PausedSubscriberAsync(keepAlive: 2);
        await using (broker)
        await using (pinging)
        {
            for (int i = 0; i < 11; i++)
            {
                await pinging.SendPingAsync();
                await Task.Delay(400);
            }

            Assert.True(connection.IsInputPaused, "the burst was taken: this test needs it to be held up");
            Assert.Same(connection, broker.Broker.ConnectionOf("paused"));
        }
    }

    /// <summary>PINGREQs keep a paused connection only while it takes some output within 6 x Keep Alive: one whose library
    /// pings while its application reads nothing is dropped then.</summary>
    [Fact]
    public async Task MQTT5_3_1_2_22_a_paused_subscriber_that_takes_nothing_is_dropped_though_it_pings()
    {
        (TestBroker broker, RawClient pinging, MqttConnection connection) = await PausedSubscriberAsync(keepAlive: 1);
        await using (broker)
        await using (pinging)
        {
            for (int i = 0; i < 150 && broker.Broker.ConnectionOf("paused") is not null; i++)
            {
                await pinging.SendPingAsync();
                await Task.Delay(400);
            }
            Assert.Null(broker.Broker.ConnectionOf("paused"));
        }
    }

    [Fact]
    public async Task MQTT5_3_1_2_22_a_paused_subscriber_that_sends_and_takes_nothing_is_dropped()
    {
        (TestBroker broker, RawClient silent, MqttConnection connection) = await PausedSubscriberAsync(keepAlive: 1);
        await using (broker)
        await using (silent)
        {
            await Eventually.TrueAsync(() => broker.Broker.ConnectionOf("paused") is null, "the broker to drop the silent subscriber", Generous);
        }
    }

    /// <summary>A subscriber "paused" to ka/# behind the retained burst: the broker no longer reads its input.</summary>
    private static async Task<(TestBroker, RawClient, MqttConnection)> PausedSubscriberAsync(ushort keepAlive)
    {
        TestBroker broker = await TestBroker.StartAsync(o => o.MaximumQueuedBytes = Bound);
        await RetainBurstAsync(broker);
        RawClient client = await broker.OpenAsync(receiveBufferSize: 4096);
        await client.ConnectAsync("paused", keepAlive: keepAlive);
        await client.SubscribeAsync("ka/#", QoS0);
        MqttConnection connection = broker.Broker.ConnectionOf("paused")!;
        await PauseInputAsync(client, connection);
        return (broker, client, connection);
    }

    /// <summary>
    /// Pings until the broker stops reading the client: it reads on while the burst fills the kernel's buffers, and
    /// pauses once a packet it handled leaves the output over the bound.
    /// </summary>
    private static async Task PauseInputAsync(RawClient client, MqttConnection connection)
    {
        for (int i = 0; i < 300 && !connection.IsInputPaused; i++)
        {
            await client.SendPingAsync();
            await Task.Delay(200);
        }
        Assert.True(connection.IsInputPaused, "the broker kept reading a subscriber that takes nothing of a 12 MiB burst");
    }

    /// <summary>24 retained messages of 512 KiB on ka/0..23: 12 MiB for a subscriber to ka/#.</summary>
    private static Task RetainBurstAsync(TestBroker broker) => RetainNumberedAsync(broker, "ka", 24, 512 * 1024, QoS0);

    /// <summary>Retained messages numbered 0 to count - 1 on prefix/0, prefix/1, ...; returns once the broker has them all.</summary>
    private static async Task RetainNumberedAsync(TestBroker broker, string prefix, int count, int size, QualityOfService qos)
    {
        await using RawClient retainer = await broker.ConnectAsync("retainer");
        for (int i = 0; i < count; i++)
        {
            ushort packetId = qos == QoS0 ? (ushort)0 : (ushort)(i + 1);
            await retainer.SendAsync(Publish($"{prefix}/{i}", i, size, qos, retain: true, packetId), Generous);
        }
        await retainer.SyncAsync();
    }

    private static async Task<int> CountPublishesUntilPingRespAsync(RawClient client)
    {
        int publishes = 0;
        for (int i = 0; i < 100_000; i++)
        {
            ReceivedPacket? packet = await client.ReadAsync(Generous);
            Assert.NotNull(packet);
            if (packet.Type == PacketType.PingResp)
            {
                return publishes;
            }
            Assert.Equal(PacketType.Publish, packet.Type);
            publishes++;
        }
        throw new InvalidOperationException("no PINGRESP");
    }

    private static byte[] Publish(string topic, int number, int size, QualityOfService qos, bool retain = false, ushort packetId = 0) =>
        Wire.Encode(new PublishPacket
        {
            Topic = Wire.Text(topic), Payload = new ReadOnlySequence<byte>(Numbered(number, size)), QoS = qos, Retain = retain, PacketId = packetId,
        }, V5);

    private static byte[] Numbered(int number, int size)
    {
        byte[] payload = new byte[size];
        BinaryPrimitives.WriteInt32BigEndian(payload, number);
        return payload;
    }

    private static int NumberOf(in PublishPacket publish)
    {
        Span<byte> number = stackalloc byte[4];
        publish.Payload.Slice(0, 4).CopyTo(number);
        return BinaryPrimitives.ReadInt32BigEndian(number);
    }
}
