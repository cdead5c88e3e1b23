using System.Buffers;

namespace Mqtt.Codec.Tests;

/// <summary>
/// Builds multi-segment <see cref="ReadOnlySequence{T}"/>s the way a pipe hands them out: each segment is
/// its own array, so a reader that assumes one contiguous span reads the wrong bytes or runs off the end.
/// </summary>
public static class SegmentedSequence
{
    /// <summary>
    /// Splits <paramref name="data"/> at the given offsets (ascending; 0, the length and repeats are allowed,
    /// a repeat or an end offset makes an empty segment).
    /// </summary>
    public static ReadOnlySequence<byte> Split(ReadOnlySpan<byte> data, params ReadOnlySpan<int> offsets)
    {
        Segment? first = null;
        Segment? last = null;
        int start = 0;
        foreach (int offset in offsets)
        {
            if (offset < start || offset > data.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(offsets), offset, "split offsets must ascend within the data");
            }
            Append(ref first, ref last, data[start..offset]);
            start = offset;
        }
        Append(ref first, ref last, data[start..]);
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    /// <summary>Every byte in a segment of its own: the hardest shape for a reader.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return ReadOnlySequence<byte>.Empty;
        }
        var offsets = new int[data.Length - 1];
        for (int i = 0; i < offsets.Length; i++)
        {
            offsets[i] = i + 1;
        }
        return Split(data, offsets);
    }

    /// <summary>Split offsets from fractions in [0, 1), sorted: turns generated doubles into a multi-split.</summary>
    public static int[] OffsetsFromFractions(int length, ReadOnlySpan<double> fractions)
    {
        var offsets = new int[fractions.Length];
        for (int i = 0; i < fractions.Length; i++)
        {
            offsets[i] = Math.Min(length, (int)(fractions[i] * (length + 1)));
        }
        Array.Sort(offsets);
        return offsets;
    }

    private static void Append(ref Segment? first, ref Segment? last, ReadOnlySpan<byte> bytes)
    {
        var segment = new Segment(bytes.ToArray(), last is null ? 0 : last.RunningIndex + last.Memory.Length);
        if (last is null)
        {
            first = segment;
        }
        else
        {
            last.SetNext(segment);
        }
        last = segment;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, long runningIndex)
        {
            Memory = bytes;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
