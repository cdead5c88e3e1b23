using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Mqtt.Codec;

/// <summary>
/// Writes packet fields straight into an <see cref="IBufferWriter{T}"/>. It asks for the whole packet's
/// size up front, so a small packet is one span and one Advance; large payloads go in chunks.
/// Call <see cref="Commit"/> at the end.
/// </summary>
internal ref struct PacketWriter
{
    // Large packets are written in chunks so a 256 MB payload never needs a 256 MB span.
    public const int MaxSizeHint = 16 * 1024;

    private readonly IBufferWriter<byte> _output;
    private Span<byte> _span;
    private int _buffered;

    public PacketWriter(IBufferWriter<byte> output, int packetSize)
    {
        _output = output;
        _span = output.GetSpan(Math.Min(packetSize, MaxSizeHint));
        _buffered = 0;
    }

    /// <summary>Starts a packet: sizes the first span for the whole packet and writes the fixed header.</summary>
    public static PacketWriter Begin(IBufferWriter<byte> output, PacketType type, byte flags, long remainingLength)
    {
        var writer = new PacketWriter(output, FixedHeader.PacketSize(remainingLength));
        writer.WriteFixedHeader(type, flags, (int)remainingLength);
        return writer;
    }

    /// <summary>Byte 1 (type and flags) and the Remaining Length.</summary>
    public void WriteFixedHeader(PacketType type, byte flags, int remainingLength)
    {
        WriteByte((byte)(((int)type << 4) | flags));
        WriteVariableByteInteger(remainingLength);
    }

    public void WriteByte(byte value)
    {
        Ensure(1);
        _span[_buffered++] = value;
    }

    public void WriteUInt16(ushort value)
    {
        Ensure(2);
        BinaryPrimitives.WriteUInt16BigEndian(_span[_buffered..], value);
        _buffered += 2;
    }

    public void WriteUInt32(uint value)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32BigEndian(_span[_buffered..], value);
        _buffered += 4;
    }

    public void WriteVariableByteInteger(int value)
    {
        Ensure(VariableByteInteger.MaxSize);
        if (value < 0x80)
        {
            _span[_buffered++] = (byte)value;
            return;
        }
        _buffered += VariableByteInteger.Write(_span[_buffered..], value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length <= _span.Length - _buffered)
        {
            // The whole packet was asked for up front, so this is the rule, the chunks the exception.
            bytes.CopyTo(_span[_buffered..]);
            _buffered += bytes.Length;
            return;
        }
        WriteChunks(bytes);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WriteChunks(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_buffered == _span.Length)
            {
                Ensure(1);
            }
            int n = Math.Min(bytes.Length, _span.Length - _buffered);
            bytes[..n].CopyTo(_span[_buffered..]);
            _buffered += n;
            bytes = bytes[n..];
        }
    }

    public void WriteBytes(in ReadOnlySequence<byte> bytes)
    {
        if (ArraySequence.TryGetSpan(bytes, out ReadOnlySpan<byte> span))
        {
            WriteBytes(span);
            return;
        }
        foreach (ReadOnlyMemory<byte> segment in bytes)
        {
            WriteBytes(segment.Span);
        }
    }

    /// <summary>
    /// Binary Data or UTF-8 Encoded String: two-byte length, then the bytes. A field over 65,535 bytes cannot be
    /// encoded (sections 1.5.4 and 1.5.6, [MQTT-4.7.3-3]) and throws instead of writing a wrapped length that would
    /// desynchronise the peer.
    /// </summary>
    public void WriteBinary(in ReadOnlySequence<byte> bytes)
    {
        if (ArraySequence.TryGetSpan(bytes, out ReadOnlySpan<byte> span))
        {
            WriteBinary(span);
            return;
        }
        if (bytes.Length > ushort.MaxValue)
        {
            ThrowFieldTooLong(bytes.Length);
        }
        WriteUInt16((ushort)bytes.Length);
        WriteBytes(bytes);
    }

    /// <summary>As <see cref="WriteBinary(in ReadOnlySequence{byte})"/> for bytes in one span.</summary>
    public void WriteBinary(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > ushort.MaxValue)
        {
            ThrowFieldTooLong(bytes.Length);
        }
        WriteUInt16((ushort)bytes.Length);
        WriteBytes(bytes);
    }

    public void Commit()
    {
        _output.Advance(_buffered);
        _buffered = 0;
        _span = default;
    }

    [StackTraceHidden]
    private static void ThrowFieldTooLong(long length) =>
        throw new ArgumentException($"a string or binary field of {length} bytes exceeds the 65,535 that its two-byte length can carry");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ensure(int count)
    {
        if (_span.Length - _buffered < count)
        {
            Grow(count);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int count)
    {
        _output.Advance(_buffered);
        _buffered = 0;
        _span = _output.GetSpan(Math.Max(count, MaxSizeHint));
    }
}
