using System.Buffers;

namespace Mqtt.Codec;

/// <summary>
/// Reads the fields of one packet body. The body is complete, so running out of bytes means the
/// Remaining Length does not match the content (malformed). The first failure is kept ("sticky"):
/// later reads return defaults, and the caller checks <see cref="Failed"/> once at the end of a step.
/// </summary>
internal ref struct BodyReader
{
    private SequenceReader<byte> _reader;
    private readonly int _baseOffset;

    public BodyReader(in MqttFrame frame)
    {
        _reader = new SequenceReader<byte>(frame.Body);
        _baseOffset = frame.HeaderLength;
    }

    public bool Failed { get; private set; }

    public DecodeError Error { get; private set; }

    public readonly long Remaining => _reader.Remaining;

    public readonly long Offset => _baseOffset + _reader.Consumed;

    public readonly SequencePosition Position => _reader.Position;

    public readonly ReadOnlySequence<byte> Sequence => _reader.Sequence;

    /// <summary>Records the first failure; always returns false so callers can `return r.Fail(...)`.</summary>
    public bool Fail(ReasonCode code, string message) => Fail(code, Offset, message);

    public bool Fail(ReasonCode code, long offset, string message)
    {
        if (!Failed)
        {
            Failed = true;
            Error = new DecodeError(code, offset, message);
        }
        return false;
    }

    public byte ReadByte()
    {
        if (Failed || !_reader.TryRead(out byte value))
        {
            Truncated();
            return 0;
        }
        return value;
    }

    public ushort ReadUInt16()
    {
        if (Failed || !_reader.TryReadBigEndian(out short value))
        {
            Truncated();
            return 0;
        }
        return (ushort)value;
    }

    public uint ReadUInt32()
    {
        if (Failed || !_reader.TryReadBigEndian(out int value))
        {
            Truncated();
            return 0;
        }
        return (uint)value;
    }

    public int ReadVariableByteInteger()
    {
        if (Failed)
        {
            return 0;
        }
        long start = Offset;
        switch (VariableByteInteger.TryRead(ref _reader, out int value))
        {
            case DecodeStatus.Complete:
                return value;
            case DecodeStatus.NeedMoreData:
                Truncated();
                return 0;
            default:
                Fail(ReasonCode.MalformedPacket, start, "[MQTT-1.5.5-1] invalid Variable Byte Integer");
                return 0;
        }
    }

    /// <summary>The next <paramref name="count"/> bytes as a slice of the input.</summary>
    public ReadOnlySequence<byte> ReadBytes(long count)
    {
        if (Failed || _reader.Remaining < count)
        {
            Truncated();
            return default;
        }
        ReadOnlySequence<byte> slice = _reader.Sequence.Slice(_reader.Position, count);
        _reader.Advance(count);
        return slice;
    }

    /// <summary>Everything left in the body (a PUBLISH payload).</summary>
    public ReadOnlySequence<byte> ReadRest() => ReadBytes(_reader.Remaining);

    /// <summary>Binary Data (1.5.6): two-byte length, then that many bytes.</summary>
    public ReadOnlySequence<byte> ReadBinary() => ReadBytes(ReadUInt16());

    /// <summary>UTF-8 Encoded String (1.5.4), validated; the bytes stay a slice of the input.</summary>
    public ReadOnlySequence<byte> ReadString()
    {
        long start = Offset;
        ReadOnlySequence<byte> value = ReadBinary();
        if (!Failed && !MqttUtf8.IsWellFormed(value))
        {
            Fail(ReasonCode.MalformedPacket, start, "[MQTT-1.5.4-1] [MQTT-1.5.4-2] string is not well-formed UTF-8 or holds U+0000");
        }
        return value;
    }

    /// <summary>Bytes left over after the last field mean the Remaining Length is wrong.</summary>
    public bool ExpectEnd()
    {
        if (!Failed && _reader.Remaining != 0)
        {
            Fail(ReasonCode.MalformedPacket, "Remaining Length is longer than the packet's content");
        }
        return !Failed;
    }

    private void Truncated() => Fail(ReasonCode.MalformedPacket, "Remaining Length is shorter than the packet's content");
}
