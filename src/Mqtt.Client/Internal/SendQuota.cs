namespace Mqtt.Client;

/// <summary>
/// The server's Receive Maximum as a counting gate: a QoS 1 or 2 PUBLISH takes a slot and its PUBACK or
/// PUBCOMP (or a failing PUBREC) gives it back [MQTT-3.3.4-9]. The limit is reset at each CONNACK; each reset starts
/// a new generation, so a slot granted before it (and not yet counted as a pending publication) is known to be stale.
/// Publications that wait are granted slots in call order, and one at a time: the one granted holds the turn until its
/// PUBLISH is in the write path (whose lock is first come, first served), and nobody else takes a slot meanwhile. Woken
/// together, they raced for the Packet Identifier and the write path on the thread pool and went out of order.
/// </summary>
internal sealed class SendQuota
{
    private readonly object _lock = new();
    // A list, not a queue: a cancelled waiter leaves at once (a server that never acknowledges must not make every
    // timed-out publication pile up here).
    private readonly LinkedList<TaskCompletionSource<int>> _waiters = new();
    // A waiter was granted a slot and has not yet put its PUBLISH in the write path (see EndTurn).
    private bool _turnTaken;
    // PUBLISHes of a resumed session waiting to be re-sent: served first, as they precede every new publication.
    private readonly Queue<TaskCompletionSource> _resends = new();
    // Set by Reset until the client's re-sends are all in the write path (EndResends): no publication takes a slot
    // meanwhile, so none goes before them [MQTT-4.6.0-1]. Granted one at a time afterwards, those that waited keep
    // their order (left to wait for the re-sends on their own, they were woken together and raced on the thread pool).
    private bool _resending;
    private int _limit = ushort.MaxValue;
    private int _inUse;
    private int _generation;
    // Set by Fail, cleared by Reset: a publication that comes to wait after the client stopped fails at once (nobody
    // would grant or fail its wait otherwise).
    private Exception? _failure;

    /// <summary>
    /// Takes a slot, waiting while none is free or others wait or hold the turn. A slot granted after waiting holds the
    /// turn: the caller ends it with <see cref="EndTurn"/> once its PUBLISH is in the write path, or it gives up.
    /// </summary>
    public ValueTask<SendSlot> TakeAsync(CancellationToken cancellationToken)
    {
        LinkedListNode<TaskCompletionSource<int>> waiter;
        lock (_lock)
        {
            if (_failure is not null)
            {
                return ValueTask.FromException<SendSlot>(_failure);
            }
            // Not ahead of a publication that waits, or was granted a slot and is not yet written, or a re-send.
            if (_inUse < _limit && _waiters.Count == 0 && !_turnTaken && !_resending)
            {
                _inUse++;
                return new ValueTask<SendSlot>(new SendSlot(_generation, HoldsTurn: false));
            }
            waiter = _waiters.AddLast(new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously));
        }
        return WaitAsync(waiter, cancellationToken);
    }

    /// <summary>
    /// Takes a slot again for a publication whose slot went stale (a reset came before it was counted): first in line,
    /// as it came before every publication still waiting, and ending the turn the stale slot held.
    /// </summary>
    public ValueTask<SendSlot> TakeAgainAsync(SendSlot stale, CancellationToken cancellationToken)
    {
        LinkedListNode<TaskCompletionSource<int>> waiter;
        lock (_lock)
        {
            if (stale.HoldsTurn)
            {
                _turnTaken = false;
            }
            if (_failure is not null)
            {
                return ValueTask.FromException<SendSlot>(_failure);
            }
            waiter = _waiters.AddFirst(new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously));
            GrantWaiters();
        }
        return WaitAsync(waiter, cancellationToken);
    }

    /// <summary>The re-sends of the connection last reset are all in the write path: publications may take slots.</summary>
    public void EndResends()
    {
        lock (_lock)
        {
            _resending = false;
            GrantWaiters();
        }
    }

    /// <summary>The publication holding the turn put its PUBLISH in the write path, or gave up: the next waiter may go.</summary>
    public void EndTurn()
    {
        lock (_lock)
        {
            _turnTaken = false;
            GrantWaiters();
        }
    }

    /// <summary>Publications waiting for a slot.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _waiters.Count;
            }
        }
    }

    /// <summary>
    /// True when no reset happened since <paramref name="generation"/>. The client calls this and <see cref="Reset"/>
    /// under its own lock, so a plain read is current without taking this one (once per QoS 1/2 publication).
    /// </summary>
    public bool IsCurrent(int generation) => generation == Volatile.Read(ref _generation);

    /// <summary>Gives back a slot of the current generation (an acknowledged publication's).</summary>
    public void Release()
    {
        lock (_lock)
        {
            ReleaseLocked();
        }
    }

    /// <summary>Gives back a slot granted in <paramref name="generation"/>: a reset since then already forgot it.</summary>
    public void Release(int generation)
    {
        lock (_lock)
        {
            if (generation == _generation)
            {
                ReleaseLocked();
            }
        }
    }

    /// <summary>
    /// A new connection: its limit, the slots already held (PUBRELs being re-sent), and one slot per PUBLISH to
    /// re-send, in order [MQTT-3.3.4-7]: those that fit are granted at once, the others as slots free up. Publications
    /// take no slot until the client has written them all (<see cref="EndResends"/>).
    /// </summary>
    public Task[] Reset(int limit, int inUse, int resends)
    {
        lock (_lock)
        {
            // The previous connection's re-sends: the new connection re-sends them itself.
            CancelResends();
            _failure = null;
            _resending = true;
            _generation++;
            _limit = limit;
            _inUse = inUse;
            var slots = new Task[resends];
            for (int i = 0; i < resends; i++)
            {
                var slot = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _resends.Enqueue(slot);
                slots[i] = slot.Task;
            }
            GrantWaiters();
            return slots;
        }
    }

    /// <summary>The client stopped: publications waiting for a slot fail, and so do those that come to wait, until <see cref="Reset"/>.</summary>
    public void Fail(Exception reason)
    {
        lock (_lock)
        {
            _failure = reason;
            foreach (TaskCompletionSource<int> waiter in _waiters)
            {
                waiter.FailObserved(reason);
            }
            _waiters.Clear();
            CancelResends();
        }
    }

    private void CancelResends()
    {
        while (_resends.TryDequeue(out TaskCompletionSource? next))
        {
            next.TrySetCanceled();
        }
    }

    private void ReleaseLocked()
    {
        _inUse--;
        GrantWaiters();
    }

    private void GrantWaiters()
    {
        while (_inUse < _limit)
        {
            if (_resends.TryDequeue(out TaskCompletionSource? resend))
            {
                if (resend.TrySetResult())
                {
                    _inUse++;
                }
            }
            else if (!_turnTaken && !_resending && _waiters.First is { } waiter)
            {
                _waiters.RemoveFirst();
                waiter.Value.SetResult(_generation);
                _inUse++;
                _turnTaken = true;
            }
            else
            {
                return;
            }
        }
    }

    private async ValueTask<SendSlot> WaitAsync(LinkedListNode<TaskCompletionSource<int>> waiter, CancellationToken cancellationToken)
    {
        Task<int> granted = waiter.Value.Task;
        try
        {
            return new SendSlot(await granted.WaitAsync(cancellationToken).ConfigureAwait(false), HoldsTurn: true);
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
            {
                if (waiter.List is not null)
                {
                    _waiters.Remove(waiter);
                }
                else if (granted.IsCompletedSuccessfully)
                {
                    // Granted just as it was cancelled: give the turn back, and the slot unless a reset forgot it.
                    _turnTaken = false;
                    if (granted.Result == _generation)
                    {
                        _inUse--;
                    }
                    GrantWaiters();
                }
            }
            throw;
        }
    }
}
