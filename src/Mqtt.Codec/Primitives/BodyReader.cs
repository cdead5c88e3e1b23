using System.Buffers;
using System.Buffers.Binary;

namespace Mqtt.Codec;

/// <summary>
/// Reads the fields of one packet body. The body is complete, so running out of bytes means the
/// Remaining Length does not match the content (malformed). The first failure is kept ("sticky"):
/// later reads return defaults, and the caller checks <see cref="Failed"/> once at the end of a step.
/// </summary>
/// <remarks>
/// A body in one segment (the common case) is read straight from its span, like Utf8JsonReader's fast path;
/// a body split across segments goes through a <see cref="SequenceReader{T}"/>. Slices always come from the body.
/// </remarks>
internal ref struct BodyReader
{
    private readonly ReadOnlySequence<byte> _body;
    private readonly ReadOnlySpan<byte> _span;
    private readonly bool _isSingleSegment;
    private readonly int _baseOffset;
    private SequenceReader<byte> _reader;
    private int _consumed;

    public BodyReader(in MqttFrame frame)
    {
        _body = frame.Body;
        _baseOffset = frame.HeaderLength;
        _isSingleSegment = _body.IsSingleSegment;
        if (_isSingleSegment)
        {
            _span = _body.FirstSpan;
        }
        else
        {
            _reader = new SequenceReader<byte>(_body);
        }
    }

    public bool Failed { get; private set; }

    public DecodeError Error { get; private set; }

    public readonly long Remaining => _isSingleSegment ? _span.Length - _consumed : _reader.Remaining;

    /// <summary>Bytes of the body read so far.</summary>
    public readonly long Consumed => _isSingleSegment ? _consumed : _reader.Consumed;

    public readonly long Offset => _baseOffset + Consumed;

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
        if (!Failed)
        {
            if (_isSingleSegment)
            {
                if (_consumed < _span.Length)
                {
                    return _span[_consumed++];
                }
            }
            else if (_reader.TryRead(out byte value))
            {
                return value;
            }
        }
        Truncated();
        return 0;
    }

    public ushort ReadUInt16()
    {
        if (!Failed)
        {
            if (_isSingleSegment)
            {
                if (BinaryPrimitives.TryReadUInt16BigEndian(_span[_consumed..], out ushort value))
                {
                    _consumed += sizeof(ushort);
                    return value;
                }
            }
            else if (_reader.TryReadBigEndian(out short value))
            {
                return (ushort)value;
            }
        }
        Truncated();
        return 0;
    }

    public uint ReadUInt32()
    {
        if (!Failed)
        {
            if (_isSingleSegment)
            {
                if (BinaryPrimitives.TryReadUInt32BigEndian(_span[_consumed..], out uint value))
                {
                    _consumed += sizeof(uint);
                    return value;
                }
            }
            else if (_reader.TryReadBigEndian(out int value))
            {
                return (uint)value;
            }
        }
        Truncated();
        return 0;
    }

    public int ReadVariableByteInteger()
    {
        if (Failed)
        {
            return 0;
        }
        long start = Offset;
        DecodeStatus status;
        int value;
        if (_isSingleSegment)
        {
            status = VariableByteInteger.TryRead(_span[_consumed..], out value, out int size);
            _consumed += size;
        }
        else
        {
            status = VariableByteInteger.TryRead(ref _reader, out value);
        }
        switch (status)
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
        ReadOnlySequence<byte> slice = PeekBytes(count);
        if (!Failed)
        {
            if (_isSingleSegment)
            {
                _consumed += (int)count;
            }
            else
            {
                _reader.Advance(count);
            }
        }
        return slice;
    }

    /// <summary>The next <paramref name="count"/> bytes as a slice of the input, without moving past them.</summary>
    public ReadOnlySequence<byte> PeekBytes(long count)
    {
        if (Failed || Remaining < count)
        {
            Truncated();
            return default;
        }
        return _isSingleSegment ? _body.Slice(_consumed, count) : _body.Slice(_reader.Position, count);
    }

    /// <summary>Everything left in the body (a PUBLISH payload).</summary>
    public ReadOnlySequence<byte> ReadRest() => ReadBytes(Remaining);

    /// <summary>Binary Data (1.5.6): two-byte length, then that many bytes.</summary>
    public ReadOnlySequence<byte> ReadBinary() => ReadBytes(ReadUInt16());

    /// <summary>UTF-8 Encoded String (1.5.4), validated; the bytes stay a slice of the input.</summary>
    public ReadOnlySequence<byte> ReadString()
    {
        long start = Offset;
        ReadOnlySequence<byte> value = ReadBinary();
        bool wellFormed = _isSingleSegment
            ? MqttUtf8.IsWellFormed(_span.Slice(_consumed - (int)value.Length, (int)value.Length))
            : MqttUtf8.IsWellFormed(value);
        if (!Failed && !wellFormed)
        {
            Fail(ReasonCode.MalformedPacket, start, "[MQTT-1.5.4-1] [MQTT-1.5.4-2] string is not well-formed UTF-8 or holds U+0000");
        }
        return value;
    }

    /// <summary>Bytes left over after the last field mean the Remaining Length is wrong.</summary>
    public bool ExpectEnd()
    {
        if (!Failed && Remaining != 0)
        {
            Fail(ReasonCode.MalformedPacket, "Remaining Length is longer than the packet's content");
        }
        return !Failed;
    }

    private void Truncated() => Fail(ReasonCode.MalformedPacket, "Remaining Length is shorter than the packet's content");
}
