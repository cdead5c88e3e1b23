namespace Mqtt.Client;

/// <summary>
/// The server's Receive Maximum as a counting gate: a QoS 1 or 2 PUBLISH takes a slot and its PUBACK or
/// PUBCOMP (or a failing PUBREC) gives it back [MQTT-3.3.4-9]. The limit is reset at each CONNACK.
/// </summary>
internal sealed class SendQuota
{
    private readonly object _lock = new();
    private readonly Queue<TaskCompletionSource> _waiters = new();
    // PUBLISHes of a resumed session waiting to be re-sent: served first, as they precede every new publication.
    private readonly Queue<TaskCompletionSource> _resends = new();
    private int _limit = ushort.MaxValue;
    private int _inUse;

    public ValueTask TakeAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (_inUse < _limit)
            {
                _inUse++;
                return default;
            }
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }
        return WaitAsync(waiter, cancellationToken);
    }

    public void Release()
    {
        lock (_lock)
        {
            _inUse--;
            GrantWaiters();
        }
    }

    /// <summary>
    /// A new connection: its limit, the slots already held (PUBRELs being re-sent), and one slot per PUBLISH to
    /// re-send, in order [MQTT-3.3.4-7]: those that fit are granted at once, the others as slots free up.
    /// </summary>
    public Task[] Reset(int limit, int inUse, int resends)
    {
        lock (_lock)
        {
            // The previous connection's re-sends: the new connection re-sends them itself.
            CancelResends();
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

    /// <summary>The client stopped: publications waiting for a slot fail.</summary>
    public void Fail(Exception reason)
    {
        lock (_lock)
        {
            while (_waiters.TryDequeue(out TaskCompletionSource? next))
            {
                next.FailObserved(reason);
            }
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

    private void GrantWaiters()
    {
        while (_inUse < _limit && (_resends.TryDequeue(out TaskCompletionSource? next) || _waiters.TryDequeue(out next)))
        {
            if (next.TrySetResult())
            {
                _inUse++;
            }
        }
    }

    private async ValueTask WaitAsync(TaskCompletionSource waiter, CancellationToken cancellationToken)
    {
        try
        {
            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
            {
                // Granted just as it was cancelled: give the slot back.
                if (!waiter.TrySetCanceled(cancellationToken))
                {
                    _inUse--;
                    GrantWaiters();
                }
            }
            throw;
        }
    }
}
