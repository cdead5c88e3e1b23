using System.Buffers;
using System.Buffers.Binary;
using Mqtt.Codec;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>
/// The Receive Maximum gate across a reconnection: a slot granted before a CONNACK's reset, to a publication not yet
/// registered, is stale: it neither counts in the new connection's window nor frees a slot of it when given back.
/// (Before generations, such a publication went out at once, ahead of the re-sends and past the new Receive Maximum.)
/// </summary>
public sealed class SendQuotaTests
{
    [Fact]
    public async Task MQTT5_3_3_4_9_a_slot_granted_before_a_reset_is_stale_and_its_release_frees_nothing()
    {
        var quota = new SendQuota();
        int before = (await quota.TakeAsync(CancellationToken.None)).Generation;

        Task[] resends = quota.Reset(limit: 2, inUse: 0, resends: 2);

        Assert.False(quota.IsCurrent(before));
        Assert.All(resends, slot => Assert.True(slot.IsCompletedSuccessfully));
        quota.EndResends(); // both written
        quota.Release(before);
        ValueTask<SendSlot> next = quota.TakeAsync(CancellationToken.None);
        Assert.False(next.IsCompleted); // the window of 2 is still full with the re-sends: the stale release freed nothing
        quota.Release();
        Assert.True(quota.IsCurrent((await next.AsTask().WaitAsync(TestClients.Patience)).Generation));
    }

    [Fact]
    public async Task Re_sends_queued_by_a_reset_are_granted_before_publications_already_waiting()
    {
        var quota = new SendQuota();
        quota.Reset(limit: 1, inUse: 1, resends: 0);
        quota.EndResends();
        ValueTask<SendSlot> waiting = quota.TakeAsync(CancellationToken.None);

        Task[] resends = quota.Reset(limit: 1, inUse: 1, resends: 1);
        quota.Release();

        Assert.True(resends[0].IsCompletedSuccessfully); // the freed slot went to the re-send, not the earlier waiter
        quota.EndResends();
        quota.Release();
        Assert.True(quota.IsCurrent((await waiting.AsTask().WaitAsync(TestClients.Patience)).Generation));
    }

    /// <summary>
    /// A publication that comes to wait for a slot after the client stopped (DisconnectAsync, a final connection loss)
    /// fails with the same reason, until a new connection resets the quota. Before, a QoS 1/2 publication racing the
    /// end (past its "connected?" check, then waiting for a slot just after Fail) waited for ever.
    /// </summary>
    [Fact]
    public async Task A_wait_for_a_slot_that_starts_after_Fail_fails_until_the_next_Reset()
    {
        var quota = new SendQuota();
        quota.Reset(limit: 1, inUse: 1, resends: 0);
        quota.EndResends();
        var stopped = new MqttConnectionLostException("the client disconnected");

        quota.Fail(stopped);

        MqttConnectionLostException e = await Assert.ThrowsAsync<MqttConnectionLostException>(
            () => quota.TakeAsync(CancellationToken.None).AsTask().WaitAsync(TestClients.Patience));
        Assert.Same(stopped, e);
        Assert.Equal(0, quota.Waiting);
        quota.Reset(limit: 1, inUse: 0, resends: 0);
        quota.EndResends();
        Assert.True(quota.IsCurrent((await quota.TakeAsync(CancellationToken.None).AsTask().WaitAsync(TestClients.Patience)).Generation));
    }

    /// <summary>
    /// A publication that gives up waiting (its token cancelled) leaves the queue at once: before, it stayed until a
    /// slot freed, so a server that never acknowledged made every timed-out publication pile up.
    /// </summary>
    [Fact]
    public async Task A_cancelled_wait_for_a_slot_leaves_the_queue()
    {
        var quota = new SendQuota();
        quota.Reset(limit: 1, inUse: 1, resends: 0);
        quota.EndResends();
        ValueTask<SendSlot> live = quota.TakeAsync(CancellationToken.None);
        for (int i = 0; i < 100; i++)
        {
            using var cancel = new CancellationTokenSource();
            ValueTask<SendSlot> waiting = quota.TakeAsync(cancel.Token);
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);
        }

        Assert.Equal(1, quota.Waiting);
        quota.Release();
        Assert.True(quota.IsCurrent((await live.AsTask().WaitAsync(TestClients.Patience)).Generation));
        Assert.Equal(0, quota.Waiting);
    }

    /// <summary>
    /// A publication granted a slot after waiting holds the turn until its PUBLISH is in the write path: a later one
    /// does not take a free slot meanwhile, even one that never had to wait, so it cannot overtake it.
    /// </summary>
    [Fact]
    public async Task A_free_slot_waits_while_a_granted_publication_holds_the_turn()
    {
        var quota = new SendQuota();
        quota.Reset(limit: 2, inUse: 2, resends: 0);
        quota.EndResends();
        ValueTask<SendSlot> first = quota.TakeAsync(CancellationToken.None);
        quota.Release();
        Assert.True((await first.AsTask().WaitAsync(TestClients.Patience)).HoldsTurn);

        quota.Release();
        ValueTask<SendSlot> later = quota.TakeAsync(CancellationToken.None);

        Assert.False(later.IsCompleted);
        quota.EndTurn();
        Assert.True(quota.IsCurrent((await later.AsTask().WaitAsync(TestClients.Patience)).Generation));
    }

    /// <summary>
    /// A publication granted a slot just before a CONNACK's reset (so its slot is stale) takes the next one ahead of the
    /// publications that waited behind it. Before, it queued again at the back, and a later publication went first.
    /// </summary>
    [Fact]
    public async Task A_publication_whose_slot_went_stale_is_granted_before_those_that_waited_behind_it()
    {
        var quota = new SendQuota();
        quota.Reset(limit: 1, inUse: 1, resends: 0);
        quota.EndResends();
        ValueTask<SendSlot> first = quota.TakeAsync(CancellationToken.None);
        ValueTask<SendSlot> later = quota.TakeAsync(CancellationToken.None);
        quota.Release();
        SendSlot stale = await first.AsTask().WaitAsync(TestClients.Patience);

        quota.Reset(limit: 1, inUse: 0, resends: 0);
        quota.EndResends();
        ValueTask<SendSlot> again = quota.TakeAgainAsync(stale, CancellationToken.None);

        Assert.True(quota.IsCurrent((await again.AsTask().WaitAsync(TestClients.Patience)).Generation));
        Assert.False(later.IsCompleted);
        quota.EndTurn();
        quota.Release();
        Assert.True(quota.IsCurrent((await later.AsTask().WaitAsync(TestClients.Patience)).Generation));
    }

    /// <summary>
    /// Publications that wait for a slot of the server's Receive Maximum go out in the order they were made. Before, the
    /// slots freed by two PUBACKs woke two publications on the thread pool, and whichever ran first took the next Packet
    /// Identifier and the write path (a probe: 100 inversions in 200 publications against a Receive Maximum of 20).
    /// </summary>
    [Fact]
    public async Task Publications_waiting_for_the_Receive_Maximum_go_out_in_call_order()
    {
        const int count = 200;
        await using var server = new FakeServer();
        await using var client = new MqttClient(Options(server.Port));
        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.AcceptConnectAsync(new MqttProperties { ReceiveMaximum = 2 });
        await connecting.WaitAsync(Patience);

        var publishing = new Task<MqttPublishResult>[count];
        for (int i = 0; i < count; i++)
        {
            byte[] payload = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)i);
            publishing[i] = client.PublishAsync("t", payload, QualityOfService.AtLeastOnce).AsTask();
        }
        var received = new List<int>();
        while (received.Count < count)
        {
            // Two PUBACKs in one write free two slots at once: the wake-ups race.
            var acknowledgements = new ArrayBufferWriter<byte>();
            for (int i = 0; i < 2; i++)
            {
                OwnedPacket packet = await connection.ExpectAsync(PacketType.Publish);
                Assert.True(PublishPacket.TryRead(packet.Frame, ProtocolVersion.V500, out PublishPacket publish, out _));
                received.Add(BinaryPrimitives.ReadUInt16BigEndian(publish.Payload.FirstSpan));
                new PubAckPacket { PacketId = publish.PacketId }.Write(acknowledgements, ProtocolVersion.V500);
            }
            await connection.SendAsync(acknowledgements.WrittenMemory);
        }

        Assert.Equal(Enumerable.Range(0, count), received);
        await Task.WhenAll(publishing).WaitAsync(Patience);
    }
}
