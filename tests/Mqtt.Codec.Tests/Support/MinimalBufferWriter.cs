using System.Buffers;

namespace Mqtt.Codec.Tests;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that hands out spans of exactly the size asked for (the least the
/// contract allows), each a fresh array, so a writer that writes past what it asked for fails at once.
/// </summary>
public sealed class MinimalBufferWriter : IBufferWriter<byte>
{
    private readonly List<byte> _written = [];
    private byte[] _current = [];

    public int GetSpanCalls { get; private set; }

    public byte[] WrittenBytes => [.. _written];

    public void Advance(int count)
    {
        if (count < 0 || count > _current.Length)
        {
            throw new InvalidOperationException($"Advance({count}) past the {_current.Length} bytes handed out");
        }
        _written.AddRange(_current.AsSpan(0, count));
        _current = [];
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        GetSpanCalls++;
        _current = new byte[Math.Max(sizeHint, 1)];
        return _current;
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
}
