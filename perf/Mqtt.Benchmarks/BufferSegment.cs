using System.Buffers;

namespace Mqtt.Benchmarks;

/// <summary>A segment of a multi-segment <see cref="ReadOnlySequence{T}"/>, as a Pipe hands them out.</summary>
public sealed class BufferSegment : ReadOnlySequenceSegment<byte>
{
    public BufferSegment(ReadOnlyMemory<byte> memory) => Memory = memory;

    public BufferSegment Append(ReadOnlyMemory<byte> memory)
    {
        var next = new BufferSegment(memory) { RunningIndex = RunningIndex + Memory.Length };
        Next = next;
        return next;
    }

    /// <summary>Views <paramref name="bytes"/> as a chain of <paramref name="segmentSize"/>-byte segments, without copying.</summary>
    public static ReadOnlySequence<byte> Split(ReadOnlyMemory<byte> bytes, int segmentSize)
    {
        var first = new BufferSegment(bytes[..Math.Min(segmentSize, bytes.Length)]);
        BufferSegment last = first;
        for (int offset = segmentSize; offset < bytes.Length; offset += segmentSize)
        {
            last = last.Append(bytes.Slice(offset, Math.Min(segmentSize, bytes.Length - offset)));
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
