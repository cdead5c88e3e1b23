using System.Buffers;
using Mqtt.Codec;

namespace Mqtt.Broker;

/// <summary>
/// A connection's received bytes not yet handled: one array from the shared pool while there are any, none while
/// the connection is idle. A packet split across receives is moved to the front; for a packet larger than the array
/// the array doubles, up to the length its fixed header gives, as its bytes arrive: memory follows what a client
/// sent, not what its header claims (a header saying 1 MiB followed by silence holds 8 KiB, not 1 MiB).
/// A mutable struct: keep it in a field and call it there, never copy it.
/// </summary>
internal struct ReceiveBuffer
{
    private const int MinimumSize = 4096;
    private byte[]? _array;
    private int _start;
    private int _end;

    public readonly bool IsEmpty => _start == _end;

    /// <summary>Index in the array of the first byte not yet consumed (positions in <see cref="Data"/> are array indexes).</summary>
    public readonly int Start => _start;

    /// <summary>Index in the array just past the last byte received.</summary>
    public readonly int End => _end;

    /// <summary>The bytes received and not yet consumed.</summary>
    public readonly ReadOnlySequence<byte> Data => _array is null ? default : new(_array, _start, _end - _start);

    /// <summary>Where to receive next: never empty, and large enough for the whole packet at the front once its header is in.</summary>
    public Memory<byte> GetFreeSpace()
    {
        if (_array is null)
        {
            _array = ArrayPool<byte>.Shared.Rent(MinimumSize);
        }
        else if (_end == _array.Length)
        {
            int length = _end - _start;
            int needed = Math.Max(PacketLength(_array, _start, length), length + 1);
            byte[] target = needed <= _array.Length ? _array : ArrayPool<byte>.Shared.Rent(Math.Min(needed, _array.Length * 2));
            _array.AsSpan(_start, length).CopyTo(target);
            if (target != _array)
            {
                ArrayPool<byte>.Shared.Return(_array);
                _array = target;
            }
            _start = 0;
            _end = length;
        }
        return _array.AsMemory(_end);
    }

    public void Received(int count) => _end += count;

    /// <summary>Drops <paramref name="count"/> handled bytes; the array goes back to the pool when none are left.</summary>
    public void Consume(long count)
    {
        _start += (int)count;
        if (_start == _end)
        {
            Release();
        }
    }

    public void Release()
    {
        if (_array is not null)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = null;
        }
        _start = _end = 0;
    }

    /// <summary>The whole packet's length from its fixed header, or 0 while the header is incomplete or invalid.</summary>
    private static int PacketLength(byte[] array, int start, int length)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(array, start, Math.Min(length, 1 + VariableByteInteger.MaxSize)));
        return reader.TryRead(out _) && VariableByteInteger.TryRead(ref reader, out int remaining) == DecodeStatus.Complete
            ? (int)reader.Consumed + remaining
            : 0;
    }
}
