using System.Buffers;

namespace Mqtt.Broker;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over one array from the shared pool, given back by <see cref="Reset"/>:
/// a connection holds no send buffer between writes.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>
{
    private const int MinimumSize = 4096;
    private byte[]? _array;
    private int _written;

    public int WrittenCount => _written;

    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _written);

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint).AsMemory(_written);

    public Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).AsSpan(_written);

    /// <summary>Forgets what was written and returns the array to the pool.</summary>
    public void Reset()
    {
        if (_array is not null)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = null;
        }
        _written = 0;
    }

    private byte[] Ensure(int sizeHint)
    {
        int needed = _written + Math.Max(sizeHint, 1);
        if (_array is null)
        {
            _array = ArrayPool<byte>.Shared.Rent(Math.Max(needed, MinimumSize));
        }
        else if (_array.Length < needed)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _array.Length * 2));
            _array.AsSpan(0, _written).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_array);
            _array = larger;
        }
        return _array;
    }
}
