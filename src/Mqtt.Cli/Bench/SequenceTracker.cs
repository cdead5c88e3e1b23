namespace Mqtt.Cli.Bench;

/// <summary>
/// What one subscriber has received from each publisher: a bit per sequence number (grown by doubling, so rarely),
/// the highest sequence seen and how many distinct ones. Single writer (the subscriber's receive loop); the progress
/// line reads the counters from another thread, approximately.
/// </summary>
public sealed class SequenceTracker
{
    private readonly ulong[]?[] _seen;
    private readonly int _initialWords;
    private readonly int[] _highest;
    private readonly long[] _distinct;

    /// <param name="publishers">Publishers whose messages may arrive.</param>
    /// <param name="expectedPerPublisher">Sequence numbers to make room for at once (more are possible).</param>
    public SequenceTracker(int publishers, long expectedPerPublisher)
    {
        _initialWords = (int)Math.Clamp((expectedPerPublisher + 63) / 64, 16, 1 << 20);
        // Allocated at a publisher's first message: in `pairs` a subscriber hears one publisher of many.
        _seen = new ulong[publishers][];
        _highest = new int[publishers];
        _highest.AsSpan().Fill(-1);
        _distinct = new long[publishers];
    }

    public int Publishers => _seen.Length;

    /// <summary>Marks (publisher, sequence) as received; false when it was already (a duplicate).</summary>
    public bool TryMark(int publisher, int sequence)
    {
        ulong[] bits = _seen[publisher] ??= new ulong[_initialWords];
        int word = sequence >> 6;
        if (word >= bits.Length)
        {
            Array.Resize(ref bits, Math.Max(bits.Length * 2, word + 1));
            _seen[publisher] = bits;
        }
        ulong mask = 1UL << (sequence & 63);
        if ((bits[word] & mask) != 0)
        {
            return false;
        }
        bits[word] |= mask;
        Volatile.Write(ref _distinct[publisher], _distinct[publisher] + 1);
        if (sequence > _highest[publisher])
        {
            Volatile.Write(ref _highest[publisher], sequence);
        }
        return true;
    }

    /// <summary>The highest sequence received from <paramref name="publisher"/>, -1 before the first.</summary>
    public int Highest(int publisher) => Volatile.Read(ref _highest[publisher]);

    /// <summary>Distinct sequences received from <paramref name="publisher"/>.</summary>
    public long Distinct(int publisher) => Volatile.Read(ref _distinct[publisher]);
}
