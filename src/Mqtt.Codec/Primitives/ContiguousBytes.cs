using System.Buffers;

namespace Mqtt.Codec;

/// <summary>
/// A contiguous view of a byte sequence: the sequence's own span when it has one segment,
/// otherwise a copy into the caller's scratch buffer, or into a pooled array when that is too small.
/// Dispose returns the pooled array.
/// </summary>
internal ref struct ContiguousBytes
{
    /// <summary>Scratch size callers stackalloc: split bodies up to this size are copied to the stack.</summary>
    public const int ScratchSize = 256;

    private byte[]? _rented;

    public ContiguousBytes(in ReadOnlySequence<byte> bytes, Span<byte> scratch)
    {
        if (ArraySequence.TryGetSpan(bytes, out ReadOnlySpan<byte> span))
        {
            Span = span;
            return;
        }
        Span = Copy(bytes, scratch, out _rented);
    }

    /// <summary>
    /// The first <paramref name="length"/> bytes of <paramref name="frame"/>'s body (all of it by default): the
    /// input's own span when the frame lies in its first segment, else a copy.
    /// </summary>
    public ContiguousBytes(in MqttFrame frame, Span<byte> scratch, int length = -1)
    {
        if (frame.TryGetBodySpan(out ReadOnlySpan<byte> body))
        {
            Span = body;
            return;
        }
        ReadOnlySequence<byte> bytes = frame.Body;
        Span = Copy(length < 0 ? bytes : bytes.Slice(0, length), scratch, out _rented);
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

    private static Span<byte> Copy(ReadOnlySequence<byte> bytes, Span<byte> scratch, out byte[]? rented)
    {
        int length = checked((int)bytes.Length);
        rented = null;
        Span<byte> target = length <= scratch.Length
            ? scratch[..length]
            : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        bytes.CopyTo(target);
        return target;
    }
}
