using System.Buffers;

namespace Mqtt.Codec;

/// <summary>
/// A contiguous view of a byte sequence: the sequence's own span when it has one segment,
/// otherwise a copy into the caller's scratch buffer, or into a pooled array when that is too small.
/// Dispose returns the pooled array.
/// </summary>
internal ref struct ContiguousBytes
{
    private byte[]? _rented;

    public ContiguousBytes(in ReadOnlySequence<byte> bytes, Span<byte> scratch)
    {
        if (bytes.IsSingleSegment)
        {
            Span = bytes.FirstSpan;
            return;
        }
        int length = checked((int)bytes.Length);
        Span<byte> target = length <= scratch.Length
            ? scratch[..length]
            : (_rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        bytes.CopyTo(target);
        Span = target;
    }

    public ReadOnlySpan<byte> Span { get; }

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
        }
    }
}
