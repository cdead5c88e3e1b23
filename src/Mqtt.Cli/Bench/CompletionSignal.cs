using System.Threading.Tasks.Sources;

namespace Mqtt.Cli.Bench;

/// <summary>
/// An auto-reset signal with one waiter (a closed-loop publisher), awaited without allocating: a set before the wait
/// is kept for it, sets while nobody waits collapse into one. The waiter resumes on the thread pool, never inline on
/// the subscriber that set the signal.
/// </summary>
public sealed class CompletionSignal : IValueTaskSource
{
    private const int Idle = 0;
    private const int Set = 1;
    private const int Waiting = 2;

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _state;

    /// <summary>Completes when <see cref="Signal"/> was called since the last wait ended. One waiter at a time.</summary>
    public ValueTask WaitAsync()
    {
        _core.Reset();
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if (state == Set)
            {
                if (Interlocked.CompareExchange(ref _state, Idle, Set) == Set)
                {
                    return default;
                }
            }
            else if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Idle)
            {
                return new ValueTask(this, _core.Version);
            }
        }
    }

    /// <summary>Wakes the waiter, or lets the next wait complete at once.</summary>
    public void Signal()
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if (state == Set)
            {
                return;
            }
            if (state == Waiting)
            {
                if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
                {
                    _core.SetResult(true);
                    return;
                }
            }
            else if (Interlocked.CompareExchange(ref _state, Set, Idle) == Idle)
            {
                return;
            }
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
