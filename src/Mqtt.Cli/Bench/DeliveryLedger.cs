using System.Diagnostics;
using System.Numerics;

namespace Mqtt.Cli.Bench;

/// <summary>
/// Closed loop, one per publisher: how many deliveries each message still awaits, in a ring indexed by sequence
/// number, so the publisher keeps at most K messages that are not yet fully delivered (delivered to every subscriber
/// that should get it). Subscribers count down; the publisher waits on <see cref="Signal"/> when K are outstanding.
/// A lost message would hold its slot for ever: <see cref="WriteOffIfStalled"/> (called once a second) frees the
/// slots of a publisher that has seen no completion for a while; the loss itself is reported as lost at the end.
/// </summary>
public sealed class DeliveryLedger
{
    private const int WrittenOff = int.MinValue / 2;

    private readonly int[] _remaining;
    private readonly int[] _sequenceOf;
    private readonly int _mask;
    private readonly int _outstanding;
    private readonly int _deliveriesPerMessage;
    private long _completed;
    private long _lastCompletion = Stopwatch.GetTimestamp();

    public DeliveryLedger(int outstanding, int deliveriesPerMessage)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(outstanding * 4, 1024));
        _remaining = new int[size];
        _sequenceOf = new int[size];
        _sequenceOf.AsSpan().Fill(-1);
        _mask = size - 1;
        _outstanding = outstanding;
        _deliveriesPerMessage = deliveriesPerMessage;
    }

    /// <summary>Wakes the publisher when a message completes (or the run ends).</summary>
    public CompletionSignal Signal { get; } = new();

    /// <summary>Messages fully delivered (or written off).</summary>
    public long Completed => Volatile.Read(ref _completed);

    /// <summary>Takes the slot of <paramref name="sequence"/> if fewer than K of the <paramref name="sent"/> messages are outstanding.</summary>
    public bool TryReserve(int sequence, long sent)
    {
        int slot = sequence & _mask;
        if (sent - Completed >= _outstanding || Volatile.Read(ref _remaining[slot]) > 0)
        {
            return false;
        }
        Volatile.Write(ref _remaining[slot], _deliveriesPerMessage);
        Volatile.Write(ref _sequenceOf[slot], sequence);
        return true;
    }

    /// <summary>A subscriber got <paramref name="sequence"/> for the first time.</summary>
    public void OnDelivered(int sequence)
    {
        int slot = sequence & _mask;
        if (Volatile.Read(ref _sequenceOf[slot]) != sequence)
        {
            return; // written off long ago and the slot reused
        }
        if (Interlocked.Decrement(ref _remaining[slot]) == 0)
        {
            Interlocked.Increment(ref _completed);
            Volatile.Write(ref _lastCompletion, Stopwatch.GetTimestamp());
            Signal.Signal();
        }
    }

    /// <summary>
    /// When messages are outstanding and none completed for <paramref name="stall"/>, gives them up (they will show as
    /// lost) so the publisher goes on. Returns how many were written off.
    /// </summary>
    public int WriteOffIfStalled(long sent, TimeSpan stall)
    {
        if (sent == Completed || Stopwatch.GetElapsedTime(Volatile.Read(ref _lastCompletion)) < stall)
        {
            return 0;
        }
        int writtenOff = 0;
        for (int slot = 0; slot < _remaining.Length; slot++)
        {
            int remaining = Volatile.Read(ref _remaining[slot]);
            while (remaining > 0)
            {
                int seen = Interlocked.CompareExchange(ref _remaining[slot], WrittenOff, remaining);
                if (seen == remaining)
                {
                    writtenOff++;
                    break;
                }
                remaining = seen;
            }
        }
        if (writtenOff > 0)
        {
            Interlocked.Add(ref _completed, writtenOff);
            Volatile.Write(ref _lastCompletion, Stopwatch.GetTimestamp());
            Signal.Signal();
        }
        return writtenOff;
    }
}
