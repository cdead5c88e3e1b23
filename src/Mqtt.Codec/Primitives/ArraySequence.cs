using System.Buffers;
using System.Runtime.CompilerServices;

namespace Mqtt.Codec;

/// <summary>
/// Spans and slices of a <see cref="ReadOnlySequence{T}"/> with a shortcut for a sequence over one array (a packet
/// built in code, a client's buffer): <see cref="ReadOnlySequence{T}.FirstSpan"/> and
/// <see cref="ReadOnlySequence{T}.Slice(long, long)"/> take such a sequence through slow paths of type checks,
/// several nanoseconds a field.
/// </summary>
internal static class ArraySequence
{
    /// <summary>As <see cref="ReadOnlySequence{T}.FirstSpan"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> FirstSpanOf(scoped in ReadOnlySequence<byte> bytes) =>
        TryGetArraySpan(bytes, out ReadOnlySpan<byte> span) ? span : bytes.FirstSpan;

    /// <summary>The whole sequence as one span, when it has one segment.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryGetSpan(scoped in ReadOnlySequence<byte> bytes, out ReadOnlySpan<byte> span)
    {
        if (TryGetArraySpan(bytes, out span))
        {
            return true;
        }
        if (bytes.IsSingleSegment)
        {
            span = bytes.FirstSpan;
            return true;
        }
        return false;
    }

    /// <summary>As <see cref="ReadOnlySequence{T}.Slice(long, long)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySequence<byte> Slice(in ReadOnlySequence<byte> bytes, int start, int length)
    {
        SequencePosition first = bytes.Start;
        if (first.GetObject() is byte[] array)
        {
            int index = first.GetInteger();
            int available = bytes.End.GetInteger() - index;
            if ((uint)start <= (uint)available && (uint)length <= (uint)(available - start))
            {
                return new ReadOnlySequence<byte>(array, index + start, length);
            }
        }
        return bytes.Slice(start, length);
    }

    /// <summary>
    /// The sequence's bytes when it was made from one array. Only such a sequence has an array as its start object
    /// (segments and memory managers are other types), so its start and end positions are indexes into that array.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryGetArraySpan(scoped in ReadOnlySequence<byte> bytes, out ReadOnlySpan<byte> span)
    {
        SequencePosition start = bytes.Start;
        if (start.GetObject() is byte[] array)
        {
            int index = start.GetInteger();
            span = new ReadOnlySpan<byte>(array, index, bytes.End.GetInteger() - index);
            return true;
        }
        span = default;
        return false;
    }
}
