using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Mqtt.Codec;

namespace Mqtt.Broker;

/// <summary>
/// One connection's write path. Any thread may queue packets; the first packet into an idle queue schedules one
/// drain, on the thread pool or (see <see cref="DeferDrains"/>) inline at the end of the producer's input batch, which takes everything queued as a batch, has the connection encode it into the transport's
/// <see cref="PipeWriter"/> (many packets, then one flush; a flush at least every 64 KiB), and ends once the queue is empty. So an
/// idle connection holds no writer task, no queue array and no send buffer. Sends are tried synchronously first;
/// only a peer that does not read makes a drain wait (asynchronously) for its socket.
/// <para>
/// The bytes queued (an estimate per packet, counted until its send has completed) are bounded by
/// <see cref="BrokerOptions.MaximumQueuedBytes"/>. The queue never refuses a packet for that itself; producers ask:
/// a QoS 0 delivery is dropped over the bound (<see cref="TryEnqueueWithinBound"/>), a QoS 1/2 delivery stays in
/// its session until the queue calls <see cref="MqttConnection.ResumeDeliveries"/>, and the read loop stops reading
/// the connection's input (<see cref="WaitUntilWithinBoundAsync"/>) so TCP pushes back on the client.
/// </para>
/// <para>Lock order: a session's gate, then this queue's; the drain calls back into the connection without holding it.</para>
/// </summary>
internal sealed class OutboundQueue : IThreadPoolWorkItem
{
    private const int FlushThreshold = 64 * 1024;
    private const int InitialCapacity = 8;

    // Drains a read loop defers while it handles one batch of input (see DeferDrains); per thread, so no lock.
    [ThreadStatic]
    private static bool t_deferring;
    [ThreadStatic]
    private static List<OutboundQueue>? t_deferred;

    private readonly MqttConnection _connection;
    private readonly TransportConnection _transport;
    private readonly PipeWriter _output;
    private readonly long _bound;
    private readonly Lock _gate = new();
    private OutboundPacket[]? _queued;
    private int _count;
    private long _queuedBytes;
    private long _lastFlushed = Environment.TickCount64;
    private bool _draining;
    private bool _completed;
    private bool _stopped;
    private bool _deliveriesHeld;
    private TaskCompletionSource? _progress;

    /// <param name="connection">Encodes the packets (<see cref="MqttConnection.Write"/>).</param>
    /// <param name="transport">Where the bytes go.</param>
    /// <param name="bound">Queued bytes beyond which producers hold back; 0 for no bound.</param>
    public OutboundQueue(MqttConnection connection, TransportConnection transport, long bound)
    {
        _connection = connection;
        _transport = transport;
        _output = transport.Output;
        _bound = bound <= 0 ? long.MaxValue : bound;
    }

    /// <summary>Bytes queued or being sent (estimated per packet).</summary>
    public long QueuedBytes => Volatile.Read(ref _queuedBytes);

    /// <summary>When a flush last completed (<see cref="Environment.TickCount64"/>): the peer is taking its output.</summary>
    public long LastFlushed => Volatile.Read(ref _lastFlushed);

    /// <summary>Over <see cref="BrokerOptions.MaximumQueuedBytes"/>: producers hold back until the drain brings it down.</summary>
    public bool IsOverBound => QueuedBytes > _bound;

    /// <summary>The connection is going: nothing more will be sent.</summary>
    public bool IsStopped
    {
        get
        {
            lock (_gate)
            {
                return _stopped;
            }
        }
    }

    /// <summary>Queues a packet; false once the queue is completed (the connection is closing).</summary>
    public bool Enqueue(in OutboundPacket packet) => Enqueue(packet, withinBound: false);

    /// <summary>
    /// Queues a packet unless the queue is over its bound (or completed): a QoS 0 delivery is then dropped, a QoS 1/2
    /// delivery waits in its session (the queue remembers to resume it). One packet may take the queue past the bound.
    /// </summary>
    public bool TryEnqueueWithinBound(in OutboundPacket packet) => Enqueue(packet, withinBound: true);

    /// <summary>
    /// Accepts no more packets; completes once what was queued has been sent (or the connection failed). The caller
    /// bounds the wait and aborts the transport after it.
    /// </summary>
    public async Task CompleteAsync()
    {
        while (true)
        {
            Task progress;
            lock (_gate)
            {
                _completed = true;
                if (!_draining)
                {
                    return;
                }
                progress = Progress();
            }
            await progress;
        }
    }

    /// <summary>Returns at once within the bound; otherwise when the drain has brought the queue back under it.</summary>
    public async ValueTask WaitUntilWithinBoundAsync()
    {
        while (true)
        {
            Task progress;
            lock (_gate)
            {
                if (_queuedBytes <= _bound || _stopped)
                {
                    return;
                }
                progress = Progress();
            }
            await progress;
        }
    }

    /// <inheritdoc/>
    void IThreadPoolWorkItem.Execute() => _ = DrainAsync();

    /// <summary>
    /// From now on, queues that this thread makes non-idle are drained by <see cref="RunDeferredDrains"/> on this
    /// thread rather than each on the thread pool: a read loop handling a batch of input then sends once per
    /// connection per batch, inline (a non-blocking send each), and saves a thread-pool hop and wake-up per delivery.
    /// The caller must call <see cref="RunDeferredDrains"/> before it leaves the thread (before any await that may
    /// suspend) and while it holds no lock.
    /// </summary>
    public static void DeferDrains() => t_deferring = true;

    /// <summary>Ends <see cref="DeferDrains"/> on this thread and runs the drains deferred, inline.</summary>
    public static void RunDeferredDrains()
    {
        t_deferring = false;
        List<OutboundQueue>? deferred = t_deferred;
        if (deferred is null || deferred.Count == 0)
        {
            return;
        }
        // Drains run inline may defer nothing (deferring is off) but may still run further code that adds: index loop.
        for (int i = 0; i < deferred.Count; i++)
        {
            _ = deferred[i].DrainAsync();
        }
        deferred.Clear();
    }

    /// <summary>
    /// What a packet counts against the bound: a PUBLISH its stored size (the message is shared, but these are the bytes
    /// this connection still has to send), an encoded packet its length, an acknowledgement a few bytes.
    /// </summary>
    private static long SizeOf(in OutboundPacket packet) => packet.Type switch
    {
        PacketType.Publish => ((Delivery)packet.Item!).Message.Size,
        PacketType.Reserved or PacketType.Disconnect => ((byte[])packet.Item!).Length,
        _ => 4,
    };

    private bool Enqueue(in OutboundPacket packet, bool withinBound)
    {
        bool schedule;
        lock (_gate)
        {
            if (_completed || _stopped)
            {
                return false;
            }
            if (withinBound && _queuedBytes > _bound)
            {
                _deliveriesHeld |= packet.Type != PacketType.Publish || ((Delivery)packet.Item!).QoS != QualityOfService.AtMostOnce;
                return false;
            }
            if (_queued is null)
            {
                _queued = ArrayPool<OutboundPacket>.Shared.Rent(InitialCapacity);
            }
            else if (_count == _queued.Length)
            {
                OutboundPacket[] larger = ArrayPool<OutboundPacket>.Shared.Rent(_count * 2);
                _queued.AsSpan(0, _count).CopyTo(larger);
                ReturnArray(_queued, _count);
                _queued = larger;
            }
            _queued[_count++] = packet;
            _queuedBytes += SizeOf(packet);
            schedule = !_draining;
            _draining = true;
        }
        if (schedule)
        {
            if (t_deferring)
            {
                (t_deferred ??= []).Add(this);
            }
            else
            {
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            }
        }
        return true;
    }

    private async Task DrainAsync()
    {
        try
        {
            while (TakeBatch(out OutboundPacket[] batch, out int count))
            {
                long bytes = 0;
                bool disconnected = false;
                try
                {
                    for (int i = 0; i < count; i++)
                    {
                        bytes += SizeOf(batch[i]);
                        if (disconnected)
                        {
                            // [MQTT-3.14.4-1] nothing after a DISCONNECT: deliveries queued behind it are dropped.
                            continue;
                        }
                        _connection.Write(_output, batch[i]);
                        disconnected = batch[i].Type == PacketType.Disconnect;
                        if (_output.UnflushedBytes >= FlushThreshold)
                        {
                            await FlushAsync();
                        }
                    }
                }
                finally
                {
                    ReturnArray(batch, count);
                }
                await FlushAsync();
                Sent(bytes, disconnected);
            }
        }
        catch (Exception e)
        {
            // The peer is gone or the transport was aborted (the read loop sees it too and closes the connection);
            // anything else is a bug, logged, and the connection closes the same way rather than hang.
            if (e is not (IOException or SocketException or ObjectDisposedException))
            {
                _connection.WriteFailed(e);
            }
            Stop();
            _transport.Abort();
        }
    }

    private async ValueTask FlushAsync()
    {
        await _output.FlushAsync();
        Volatile.Write(ref _lastFlushed, Environment.TickCount64);
    }

    /// <summary>Takes everything queued, or ends the drain when there is nothing (or nothing may be sent any more).</summary>
    private bool TakeBatch(out OutboundPacket[] batch, out int count)
    {
        TaskCompletionSource? progress;
        lock (_gate)
        {
            if (_count > 0 && !_stopped)
            {
                batch = _queued!;
                count = _count;
                _queued = null;
                _count = 0;
                return true;
            }
            _draining = false;
            // Nothing queued, or stopped after a DISCONNECT: what was queued behind it is never sent.
            progress = DiscardQueued();
        }
        // Nothing to give back here: every flush returns the send buffer, and once _draining is false another drain may be writing.
        progress?.TrySetResult();
        batch = [];
        count = 0;
        return false;
    }

    /// <summary>A batch went out: its bytes no longer count; waiters re-check, and held deliveries resume under the bound.</summary>
    private void Sent(long bytes, bool disconnected)
    {
        bool resume;
        TaskCompletionSource? progress;
        lock (_gate)
        {
            _queuedBytes -= bytes;
            _stopped |= disconnected;
            resume = _deliveriesHeld && _queuedBytes <= _bound && !_stopped;
            _deliveriesHeld &= !resume;
            progress = _progress;
            _progress = null;
        }
        progress?.TrySetResult();
        if (resume)
        {
            _connection.ResumeDeliveries();
        }
    }

    /// <summary>Nothing more will be sent: the queue is emptied and every waiter released. Called by the drain only.</summary>
    private void Stop()
    {
        TaskCompletionSource? progress;
        // The drain is the writer's only user, so only it completes it (dropping anything unsent).
        _output.Complete();
        lock (_gate)
        {
            _stopped = true;
            _draining = false;
            progress = DiscardQueued();
        }
        progress?.TrySetResult();
    }

    /// <summary>Drops what is queued and hands back the waiters' signal to release; call under the gate, with no batch in flight.</summary>
    private TaskCompletionSource? DiscardQueued()
    {
        if (_queued is not null)
        {
            ReturnArray(_queued, _count);
            _queued = null;
        }
        _count = 0;
        _queuedBytes = 0;
        TaskCompletionSource? progress = _progress;
        _progress = null;
        return progress;
    }

    /// <summary>One signal for every waiter (read loop, close), created only when someone waits; call under the gate.</summary>
    private Task Progress() => (_progress ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    private static void ReturnArray(OutboundPacket[] array, int count)
    {
        // Cleared so the pool keeps no deliveries (and their messages) alive.
        array.AsSpan(0, count).Clear();
        ArrayPool<OutboundPacket>.Shared.Return(array);
    }
}
