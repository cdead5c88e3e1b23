namespace Mqtt.Client;

/// <summary>
/// The server's Receive Maximum as a counting gate: a QoS 1 or 2 PUBLISH takes a slot and its PUBACK or
/// PUBCOMP (or a failing PUBREC) gives it back [MQTT-3.3.4-9]. The limit is reset at each CONNACK.
/// </summary>
internal sealed class SendQuota
{
    private readonly object _lock = new();
    private readonly Queue<TaskCompletionSource> _waiters = new();
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

    /// <summary>A new connection: its limit, and the slots already held by messages being re-sent.</summary>
    public void Reset(int limit, int inUse)
    {
        lock (_lock)
        {
            _limit = limit;
            _inUse = inUse;
            GrantWaiters();
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
        }
    }

    private void GrantWaiters()
    {
        while (_inUse < _limit && _waiters.TryDequeue(out TaskCompletionSource? next))
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
