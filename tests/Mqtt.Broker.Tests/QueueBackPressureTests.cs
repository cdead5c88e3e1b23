namespace Mqtt.Broker.Tests;

/// <summary>
/// A QoS 1/2 message that finds an online subscriber's queue full holds its publisher back instead of being lost;
/// a subscriber that does not keep up holds nobody for long (docs/broker.md, "Queues and drops"). Counts only.
/// </summary>
public sealed class QueueBackPressureTests
{
    private const int Window = 5;
    private const int Queue = 10;

    [Fact]
    public async Task MQTT5_sec_4_9_a_burst_into_a_subscriber_that_keeps_acknowledging_is_delivered_whole_and_in_order()
    {
        await using var broker = await StartAsync(TimeSpan.FromMinutes(1));
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("burst", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("pub");

        const int Messages = 300;
        await publisher.SendAsync(Burst("burst", Messages, firstPacketId: 1));
        await sub.ExpectPayloadsInOrderAsync(Messages);
        await ExpectAcknowledgedInOrderAsync(publisher, Messages);
        await sub.ExpectNothingPendingAsync();
        Assert.Equal(0, broker.Statistics.MessagesDropped);
    }

    [Fact]
    public async Task MQTT5_sec_4_9_a_subscriber_that_acknowledges_nothing_holds_a_publisher_only_for_the_maximum_hold()
    {
        await using var broker = await StartAsync(TimeSpan.FromMilliseconds(200));
        await using RawClient stuck = await broker.ConnectAsync("stuck");
        await stuck.SubscribeAsync("t", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("pub");

        const int Messages = 100;
        await PublishBurstAsync(publisher, "t", Messages);
        // In flight, queued, and the one message that found the queue full and made the publisher wait.
        const int Kept = Window + Queue + 1;
        Assert.Equal(Messages - Kept, broker.Statistics.MessagesDropped);
        await stuck.ExpectPayloadsInOrderAsync(Kept);
        await stuck.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_sec_4_9_a_subscriber_that_was_slow_holds_nobody_again_for_a_while_even_once_drained_and_reconnected()
    {
        // Else one that stops, catches up (or reconnects) and stops again every second would hold publishers most of the time.
        await using var broker = await StartAsync(TimeSpan.FromMilliseconds(500));
        await using RawClient sub = await broker.ConnectAsync("sub", properties: Persistent());
        await sub.SubscribeAsync("t", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("pub");

        const int Messages = 100;
        await PublishBurstAsync(publisher, "t", Messages);
        // Held once (the message past the limit), then counted as slow.
        Assert.Equal(Messages - (Window + Queue + 1), broker.Statistics.MessagesDropped);

        await using RawClient back = await broker.OpenAsync();
        await back.ConnectAsync("sub", cleanStart: false, properties: Persistent());
        await back.ExpectPayloadsInOrderAsync(Window + Queue + 1);
        await back.SyncAsync(); // its last PUBACKs are handled, so its window is free before the next burst arrives
        // Another publisher, which has not been held yet (one that has is not held again for a while either).
        await using RawClient another = await broker.ConnectAsync("pub2");
        await PublishBurstAsync(another, "t", Messages);
        // Drained and on a new connection, within ten holds of the last: no message past the limit, nobody held.
        Assert.Equal(2 * Messages - (Window + Queue + 1) - (Window + Queue), broker.Statistics.MessagesDropped);
    }

    [Fact]
    public async Task MQTT5_sec_4_9_a_publisher_held_until_a_subscriber_gave_up_is_not_held_again_for_a_while()
    {
        // Else subscribers made slow one after the other would hold it most of the time.
        await using var broker = await StartAsync(TimeSpan.FromMilliseconds(500));
        await using RawClient first = await broker.ConnectAsync("first");
        await first.SubscribeAsync("a", QoS1);
        await using RawClient second = await broker.ConnectAsync("second");
        await second.SubscribeAsync("b", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("pub");

        const int Messages = 100;
        await PublishBurstAsync(publisher, "a", Messages);
        Assert.Equal(Messages - (Window + Queue + 1), broker.Statistics.MessagesDropped);
        await PublishBurstAsync(publisher, "b", Messages, firstPacketId: Messages + 1);
        // Not held, the second subscriber never counted as slow: its queue went to twice its limit, the rest dropped.
        Assert.Equal(2 * Messages - (Window + Queue + 1) - (Window + 2 * Queue), broker.Statistics.MessagesDropped);
        await second.ExpectPayloadsInOrderAsync(Window + 2 * Queue);
    }

    [Fact]
    public async Task MQTT5_3_1_2_22_a_publisher_held_back_longer_than_its_keep_alive_is_not_cut_off_for_it()
    {
        // Held about 5 s (the maximum hold) with a Keep Alive of 2 s: it is the broker that is not reading.
        await using var broker = await StartAsync(TimeSpan.FromSeconds(5));
        await using RawClient stuck = await broker.ConnectAsync("stuck");
        await stuck.SubscribeAsync("t", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("pub", keepAlive: 2);

        const int Messages = 30;
        await PublishBurstAsync(publisher, "t", Messages, timeout: TimeSpan.FromSeconds(15));
        await publisher.ExpectNothingPendingAsync();
    }

    [Fact]
    public async Task MQTT5_sec_4_9_two_clients_publishing_into_each_others_full_queues_do_not_wait_for_each_other()
    {
        // Each would wait for acknowledgements that the other, held itself, does not read: with a hold of a minute
        // the two would stall for that long, and every read below is bounded by 5 s.
        await using var broker = await StartAsync(TimeSpan.FromMinutes(1));
        await using RawClient a = await broker.ConnectAsync("a");
        await a.SubscribeAsync("to/a", QoS1);
        await using RawClient b = await broker.ConnectAsync("b");
        await b.SubscribeAsync("to/b", QoS1);

        const int Messages = 200;
        using var everyoneAcknowledged = new CountdownEvent(2);
        int[] received = await Task.WhenAll(
            Task.Run(() => PublishWhileAcknowledgingAsync(a, "to/b", Messages, everyoneAcknowledged)),
            Task.Run(() => PublishWhileAcknowledgingAsync(b, "to/a", Messages, everyoneAcknowledged)));
        // The one not waiting may push the other's queue to twice its limit, and past that drops.
        Assert.Equal(2 * Messages, received[0] + received[1] + broker.Statistics.MessagesDropped);
    }

    [Fact]
    public async Task MQTT5_sec_4_9_a_client_whose_own_subscription_is_full_is_not_held_back_by_itself()
    {
        // Were it held, it would wait for acknowledgements it sends on the very connection that is not being read.
        await using var broker = await StartAsync(TimeSpan.FromMinutes(1));
        await using RawClient client = await broker.ConnectAsync("self");
        await client.SubscribeAsync("echo", QoS1);

        const int Messages = 50;
        await client.SendAsync(Burst("echo", Messages, firstPacketId: 1));
        for (int i = 1; i <= Messages; i++)
        {
            Assert.Equal((ushort)i, (await client.ReadUntilAsync(PacketType.PubAck)).PubAck.PacketId);
        }
        Assert.Equal(Messages - Window - Queue, broker.Statistics.MessagesDropped);
    }

    [Fact]
    public async Task MQTT5_sec_4_8_2_a_shared_subscription_passes_a_full_member_by_for_one_with_room()
    {
        // Round robin would hand every other message to the stuck member: held for a minute, then lost.
        await using var broker = await StartAsync(TimeSpan.FromMinutes(1));
        await using RawClient stuck = await broker.ConnectAsync("stuck");
        await stuck.SubscribeAsync("$share/g/jobs", QoS1);
        await using RawClient healthy = await broker.ConnectAsync("healthy");
        await healthy.SubscribeAsync("$share/g/jobs", QoS1);
        await using RawClient publisher = await broker.ConnectAsync("pub");

        const int Messages = 100;
        const int StuckTakes = Window + Queue;
        int healthyGot = 0;
        for (int i = 0; i < Messages; i++)
        {
            Assert.Equal(ReasonCode.Success, await publisher.PublishAsync("jobs", $"{i}", QoS1));
            // The healthy member takes each message before the next is published: only the stuck one fills up.
            healthyGot += await AcknowledgeEverythingAsync(healthy);
        }
        Assert.Equal(Messages - StuckTakes, healthyGot);
        Assert.Equal(StuckTakes, await AcknowledgeEverythingAsync(stuck));
        await healthy.ExpectNothingPendingAsync();
        Assert.Equal(0, broker.Statistics.MessagesDropped);
    }

    [Fact]
    public async Task MQTT5_sec_3_3_1_9_a_new_subscription_gets_every_retained_QoS_1_message_past_the_queue_limit()
    {
        await using var broker = await StartAsync(TimeSpan.FromMinutes(1));
        await using (RawClient publisher = await broker.ConnectAsync("pub"))
        {
            for (int i = 0; i < 4 * Queue; i++)
            {
                await publisher.PublishAsync($"r/{i}", $"{i}", QoS1, retain: true);
            }
        }
        await using RawClient sub = await broker.ConnectAsync("sub");
        await sub.SubscribeAsync("r/#", QoS1);
        var topics = new HashSet<string>();
        for (int i = 0; i < 4 * Queue; i++)
        {
            ReceivedPacket p = await sub.ExpectPublishPacketAsync();
            Assert.True(p.Publish.Retain);
            topics.Add(p.Topic);
            await sub.SendAckAsync(PacketType.PubAck, p.Publish.PacketId);
        }
        Assert.Equal(4 * Queue, topics.Count);
        await sub.ExpectNothingPendingAsync();
        Assert.Equal(0, broker.Statistics.MessagesDropped);
    }

    /// <summary>
    /// Sends a burst, then acknowledges what it receives until the burst is acknowledged, and goes on acknowledging
    /// until <paramref name="everyoneAcknowledged"/> and nothing more comes; returns how many it received.
    /// </summary>
    private static async Task<int> PublishWhileAcknowledgingAsync(RawClient client, string topic, int messages, CountdownEvent everyoneAcknowledged)
    {
        await client.SendAsync(Burst(topic, messages, firstPacketId: 1));
        int acknowledged = 0;
        int received = 0;
        for (int i = 0; i < 100 * messages && acknowledged < messages; i++)
        {
            ReceivedPacket? packet = await client.ReadAsync();
            Assert.NotNull(packet);
            if (packet.Type == PacketType.PubAck)
            {
                acknowledged++;
                continue;
            }
            received++;
            await client.SendAckAsync(PacketType.PubAck, packet.Publish.PacketId);
        }
        Assert.Equal(messages, acknowledged);
        everyoneAcknowledged.Signal();
        // The rest of the other's burst, once the other has all its acknowledgements too.
        for (int round = 0; !everyoneAcknowledged.IsSet && round < 1000; round++)
        {
            received += await AcknowledgeEverythingAsync(client);
            await Task.Delay(10);
        }
        return received + await AcknowledgeEverythingAsync(client);
    }

    private static async Task ExpectAcknowledgedInOrderAsync(RawClient publisher, int messages, int firstPacketId = 1, TimeSpan? timeout = null)
    {
        for (int i = firstPacketId; i < firstPacketId + messages; i++)
        {
            Assert.Equal((ushort)i, (await publisher.ExpectAsync(PacketType.PubAck, timeout)).PubAck.PacketId);
        }
    }

    /// <summary>Writes a <see cref="Burst"/> at once and expects its PUBACKs, in order.</summary>
    private static async Task PublishBurstAsync(RawClient publisher, string topic, int messages, ushort firstPacketId = 1, TimeSpan? timeout = null)
    {
        await publisher.SendAsync(Burst(topic, messages, firstPacketId));
        await ExpectAcknowledgedInOrderAsync(publisher, messages, firstPacketId, timeout);
    }

    /// <summary>Rounds of PINGREQ, acknowledging what comes before PINGRESP, until one brings nothing; returns the count.</summary>
    private static async Task<int> AcknowledgeEverythingAsync(RawClient client)
    {
        int received = 0;
        for (int round = 0, late = -1; late != 0 && round < 1000; round++)
        {
            late = 0;
            await client.SendPingAsync();
            for (ReceivedPacket? packet = await client.ReadAsync(); packet?.Type == PacketType.Publish; packet = await client.ReadAsync())
            {
                late++;
                await client.SendAckAsync(PacketType.PubAck, packet.Publish.PacketId);
            }
            received += late;
        }
        return received;
    }

    private static Task<TestBroker> StartAsync(TimeSpan maximumHold) => TestBroker.StartAsync(o =>
    {
        o.MaximumInflightMessages = Window;
        o.MaximumQueuedMessages = Queue;
        o.MaximumPublisherHold = maximumHold;
    });

    /// <summary>QoS 1 PUBLISHes with payloads "0", "1" ... in one write, so the broker reads them as one batch.</summary>
    private static byte[] Burst(string topic, int count, ushort firstPacketId)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < count; i++)
        {
            bytes.AddRange(Wire.Encode(new PublishPacket
            {
                Topic = Wire.Text(topic),
                Payload = new ReadOnlySequence<byte>(System.Text.Encoding.UTF8.GetBytes($"{i}")),
                QoS = QoS1,
                PacketId = (ushort)(firstPacketId + i),
            }, ProtocolVersion.V500));
        }
        return [.. bytes];
    }
}
