using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Mqtt.Codec;

/// <summary>
/// Reads the fields of one packet body. The body is complete, so running out of bytes means the
/// Remaining Length does not match the content (malformed). The first failure is kept ("sticky"):
/// later reads return defaults, and the caller checks <see cref="Failed"/> once at the end of a step.
/// </summary>
/// <remarks>
/// A body in one span (the common case) is read straight from it, like Utf8JsonReader's fast path; a body
/// split across segments goes through a <see cref="SequenceReader{T}"/>. Fields that stay slices of the input
/// (topic, payload, property block) are sliced from the frame's source only when asked for.
/// </remarks>
internal ref struct BodyReader
{
    private readonly ReadOnlySpan<byte> _span;
    private readonly ReadOnlySequence<byte> _source;
    private readonly int _bodyStart;
    private readonly int _baseOffset;
    private readonly bool _isSingleSegment;
    private int _consumed;
    private SequenceReader<byte> _reader;

    public BodyReader(in MqttFrame frame)
    {
        _source = frame.Source;
        _bodyStart = frame.BodyStart;
        _baseOffset = frame.HeaderLength;
        _isSingleSegment = frame.TryGetBodySpan(out _span);
        if (!_isSingleSegment)
        {
            _reader = new SequenceReader<byte>(frame.Body);
        }
    }

    public bool Failed { get; private set; }

    public DecodeError Error { get; private set; }

    /// <summary>True when the body is read from one span (<see cref="Span"/>).</summary>
    public readonly bool IsSingleSegment => _isSingleSegment;

    /// <summary>The whole body, when <see cref="IsSingleSegment"/>.</summary>
    public readonly ReadOnlySpan<byte> Span => _span;

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
                if ((uint)_consumed < (uint)_span.Length)
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
                if (_span.Length - _consumed >= sizeof(ushort))
                {
                    ushort value = BinaryPrimitives.ReadUInt16BigEndian(_span[_consumed..]);
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
                if (_span.Length - _consumed >= sizeof(uint))
                {
                    uint value = BinaryPrimitives.ReadUInt32BigEndian(_span[_consumed..]);
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
        if (_isSingleSegment && (uint)_consumed < (uint)_span.Length && _span[_consumed] < 0x80)
        {
            // One byte, the common case (a Property Length under 128).
            return _span[_consumed++];
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
    public ReadOnlySequence<byte> ReadBytes(int count)
    {
        ReadOnlySequence<byte> slice = PeekBytes(count);
        Skip(count);
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
        return _isSingleSegment ? _source.Slice(_bodyStart + _consumed, count) : _reader.Sequence.Slice(_reader.Position, count);
    }

    /// <summary>
    /// The <paramref name="count"/> bytes at <paramref name="consumed"/> (a value of <see cref="Consumed"/> taken
    /// earlier) as a slice of the input; they must have been read already.
    /// </summary>
    public readonly ReadOnlySequence<byte> SliceAt(long consumed, long count) => _isSingleSegment
        ? _source.Slice(_bodyStart + consumed, count)
        : _reader.Sequence.Slice(consumed, count);

    /// <summary>Moves past <paramref name="count"/> bytes.</summary>
    public void Skip(int count)
    {
        if (Failed)
        {
            return;
        }
        if (Remaining < count)
        {
            Truncated();
        }
        else if (_isSingleSegment)
        {
            _consumed += count;
        }
        else
        {
            _reader.Advance(count);
        }
    }

    /// <summary>Everything left in the body (a PUBLISH payload).</summary>
    public ReadOnlySequence<byte> ReadRest() => ReadBytes((int)Remaining);

    /// <summary>Binary Data (1.5.6): two-byte length, then that many bytes.</summary>
    public ReadOnlySequence<byte> ReadBinary() => ReadBytes(ReadUInt16());

    /// <summary>Moves past Binary Data.</summary>
    public void SkipBinary() => Skip(ReadUInt16());

    /// <summary>UTF-8 Encoded String (1.5.4), validated; the bytes stay a slice of the input.</summary>
    public ReadOnlySequence<byte> ReadString()
    {
        long start = Consumed;
        int length = SkipString(checkWildcards: false, out _);
        return Failed ? default : SliceAt(start + 2, length);
    }

    /// <summary>
    /// Validates a UTF-8 Encoded String and moves past it; returns its length. With
    /// <paramref name="checkWildcards"/>, <paramref name="hasWildcard"/> says whether it holds '+' or '#'.
    /// </summary>
    public int SkipString(bool checkWildcards, out bool hasWildcard)
    {
        hasWildcard = false;
        long start = Offset;
        int length = ReadUInt16();
        if (Failed)
        {
            return 0;
        }
        bool wellFormed;
        if (_isSingleSegment)
        {
            if (_span.Length - _consumed < length)
            {
                Truncated();
                return 0;
            }
            ReadOnlySpan<byte> value = _span.Slice(_consumed, length);
            wellFormed = MqttUtf8.IsWellFormed(value);
            hasWildcard = checkWildcards && !MqttTopic.IsValidTopicName(value);
            _consumed += length;
        }
        else
        {
            ReadOnlySequence<byte> value = PeekBytes(length);
            if (Failed)
            {
                return 0;
            }
            wellFormed = MqttUtf8.IsWellFormed(value);
            hasWildcard = checkWildcards && !MqttTopic.IsValidTopicName(value);
            _reader.Advance(length);
        }
        if (!wellFormed)
        {
            Fail(ReasonCode.MalformedPacket, start, "[MQTT-1.5.4-1] [MQTT-1.5.4-2] string is not well-formed UTF-8 or holds U+0000");
        }
        return length;
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

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Truncated() => Fail(ReasonCode.MalformedPacket, "Remaining Length is shorter than the packet's content");
}
