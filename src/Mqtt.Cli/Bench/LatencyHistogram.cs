using System.Diagnostics;
using System.Numerics;

namespace Mqtt.Cli.Bench;

/// <summary>
/// A log-linear latency histogram in nanoseconds, as HdrHistogram lays it out: values below 128 have a bucket each,
/// then every power of two is split into 64 equal buckets, so a bucket is at most 1/64 of its value wide (reported
/// at its midpoint: within 0.8 %). 3,712 preallocated counters cover every positive long; recording allocates
/// nothing. One per subscriber (single writer), merged at the end.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBucketBits = 6;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int LinearLimit = 2 * SubBuckets;
    private const int FirstLogMagnitude = SubBucketBits + 1;
    private const int BucketCount = LinearLimit + (62 - FirstLogMagnitude + 1) * SubBuckets;

    private static readonly double s_nanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    private readonly long[] _counts = new long[BucketCount];

    /// <summary>Values recorded.</summary>
    public long Count { get; private set; }

    /// <summary>The largest value recorded, exactly (0 when empty).</summary>
    public long Maximum { get; private set; }

    /// <summary>Records a latency given in Stopwatch ticks.</summary>
    public void RecordTicks(long ticks) =>
        Record(Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)(ticks * s_nanosecondsPerTick));

    /// <summary>Records a value in nanoseconds (a negative one counts as 0).</summary>
    public void Record(long nanoseconds)
    {
        long value = Math.Max(nanoseconds, 0);
        _counts[IndexOf(value)]++;
        Count++;
        if (value > Maximum)
        {
            Maximum = value;
        }
    }

    /// <summary>Adds another histogram's counts to this one.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }
        Count += other.Count;
        Maximum = Math.Max(Maximum, other.Maximum);
    }

    /// <summary>
    /// The value at <paramref name="percentile"/> (0-100]: the midpoint of the bucket holding the value of that rank,
    /// never above <see cref="Maximum"/>. Null when nothing was recorded.
    /// </summary>
    public long? ValueAtPercentile(double percentile)
    {
        if (Count == 0)
        {
            return null;
        }
        long rank = Math.Clamp((long)Math.Ceiling(percentile / 100 * Count), 1, Count);
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(MidpointOf(i), Maximum);
            }
        }
        return Maximum;
    }

    private static int IndexOf(long value)
    {
        if (value < LinearLimit)
        {
            return (int)value;
        }
        int magnitude = 63 - BitOperations.LeadingZeroCount((ulong)value);
        int shift = magnitude - SubBucketBits;
        int subBucket = (int)(value >> shift);
        return LinearLimit + (magnitude - FirstLogMagnitude) * SubBuckets + (subBucket - SubBuckets);
    }

    private static long MidpointOf(int index)
    {
        if (index < LinearLimit)
        {
            return index;
        }
        int offset = index - LinearLimit;
        int magnitude = offset / SubBuckets + FirstLogMagnitude;
        int shift = magnitude - SubBucketBits;
        long low = (long)(offset % SubBuckets + SubBuckets) << shift;
        return low + (1L << shift) / 2;
    }
}
