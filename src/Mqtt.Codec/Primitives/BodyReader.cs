using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Mqtt.Codec;

/// <summary>
/// Reads the fields of one packet body from one span. The body is complete, so running out of bytes means the
/// Remaining Length does not match the content (malformed). The first failure is kept ("sticky"):
/// later reads return defaults, and the caller checks <see cref="Failed"/> once at the end of a step.
/// </summary>
/// <remarks>
/// The span is the input's own when the frame lies in one segment (the common case), else a copy made by
/// <see cref="ContiguousBytes"/>: of the whole body, or for a PUBLISH of its variable header only, so that
/// <see cref="ReadRest"/> can hand out a payload the copy does not hold. Fields that stay slices of the input
/// (topic, payload, property block) are sliced from the frame's source, and only when asked for.
/// </remarks>
internal ref struct BodyReader
{
    private readonly ReadOnlySpan<byte> _span;
    private readonly ReadOnlySequence<byte> _source;
    private readonly int _bodyStart;
    private readonly int _length;
    private readonly int _baseOffset;
    private int _consumed;

    /// <summary>
    /// Reads <paramref name="frame"/>'s body from <paramref name="body"/>, which holds all of it or, for a
    /// PUBLISH, at least everything before the payload.
    /// </summary>
    public BodyReader(in MqttFrame frame, ReadOnlySpan<byte> body)
    {
        _span = body;
        _source = frame.Source;
        _bodyStart = frame.BodyStart;
        _length = frame.BodyLength;
        _baseOffset = frame.HeaderLength;
    }

    public bool Failed { get; private set; }

    public DecodeError Error { get; private set; }

    /// <summary>
    /// A read failed for want of bytes that the body has but the span, a copy of its start only, does not: the
    /// caller must read again from a copy of the whole body to find the right error.
    /// </summary>
    public bool RanPastCopy { get; private set; }

    public readonly int Remaining => _length - _consumed;

    /// <summary>Bytes of the body read so far.</summary>
    public readonly int Consumed => _consumed;

    public readonly long Offset => _baseOffset + _consumed;

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
        if (!Failed && (uint)_consumed < (uint)_span.Length)
        {
            return _span[_consumed++];
        }
        Truncated();
        return 0;
    }

    public ushort ReadUInt16()
    {
        if (!Failed && _span.Length - _consumed >= sizeof(ushort))
        {
            ushort value = BinaryPrimitives.ReadUInt16BigEndian(_span[_consumed..]);
            _consumed += sizeof(ushort);
            return value;
        }
        Truncated();
        return 0;
    }

    public uint ReadUInt32()
    {
        if (!Failed && _span.Length - _consumed >= sizeof(uint))
        {
            uint value = BinaryPrimitives.ReadUInt32BigEndian(_span[_consumed..]);
            _consumed += sizeof(uint);
            return value;
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
        if ((uint)_consumed < (uint)_span.Length && _span[_consumed] < 0x80)
        {
            // One byte, the common case (a Property Length under 128).
            return _span[_consumed++];
        }
        long start = Offset;
        DecodeStatus status = VariableByteInteger.TryRead(_span[_consumed..], out int value, out int size);
        _consumed += size;
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
        if (Failed || Remaining < count)
        {
            Truncated();
            return default;
        }
        ReadOnlySequence<byte> slice = ArraySequence.Slice(_source, _bodyStart + _consumed, count);
        _consumed += count;
        return slice;
    }

    /// <summary>The next <paramref name="count"/> bytes as a span, for a field that is checked and not kept.</summary>
    public ReadOnlySpan<byte> ReadSpan(int count)
    {
        if (Failed || _span.Length - _consumed < count)
        {
            Truncated();
            return default;
        }
        ReadOnlySpan<byte> bytes = _span.Slice(_consumed, count);
        _consumed += count;
        return bytes;
    }

    /// <summary>The next <paramref name="count"/> bytes as a slice of the input, without moving past them.</summary>
    public ReadOnlySequence<byte> PeekBytes(int count)
    {
        if (Failed || Remaining < count)
        {
            Truncated();
            return default;
        }
        return ArraySequence.Slice(_source, _bodyStart + _consumed, count);
    }

    /// <summary>
    /// The <paramref name="count"/> bytes at <paramref name="consumed"/> (a value of <see cref="Consumed"/> taken
    /// earlier) as a slice of the input; they must have been read already.
    /// </summary>
    public readonly ReadOnlySequence<byte> SliceAt(int consumed, int count) => ArraySequence.Slice(_source, _bodyStart + consumed, count);

    /// <summary>The bytes read since <paramref name="consumed"/> (a value of <see cref="Consumed"/> taken earlier).</summary>
    public readonly ReadOnlySpan<byte> SpanFrom(int consumed) => _span[consumed.._consumed];

    /// <summary>Moves past <paramref name="count"/> bytes.</summary>
    public void Skip(int count)
    {
        if (Failed)
        {
            return;
        }
        if (_span.Length - _consumed < count)
        {
            Truncated();
            return;
        }
        _consumed += count;
    }

    /// <summary>Everything left in the body (a PUBLISH payload).</summary>
    public ReadOnlySequence<byte> ReadRest() => ReadBytes(Remaining);

    /// <summary>Binary Data (1.5.6): two-byte length, then that many bytes.</summary>
    public ReadOnlySequence<byte> ReadBinary() => ReadBytes(ReadUInt16());

    /// <summary>Moves past Binary Data.</summary>
    public void SkipBinary() => Skip(ReadUInt16());

    /// <summary>UTF-8 Encoded String (1.5.4), validated; the bytes stay a slice of the input.</summary>
    public ReadOnlySequence<byte> ReadString()
    {
        int start = _consumed;
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
        if (_span.Length - _consumed < length)
        {
            Truncated();
            return 0;
        }
        ReadOnlySpan<byte> value = _span.Slice(_consumed, length);
        _consumed += length;
        if (!MqttUtf8.IsWellFormed(value))
        {
            Fail(ReasonCode.MalformedPacket, start, "[MQTT-1.5.4-1] [MQTT-1.5.4-2] string is not well-formed UTF-8 or holds U+0000");
        }
        hasWildcard = checkWildcards && !MqttTopic.IsValidTopicName(value);
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
    private void Truncated()
    {
        if (!Failed && _span.Length < _length)
        {
            RanPastCopy = true;
        }
        Fail(ReasonCode.MalformedPacket, "Remaining Length is shorter than the packet's content");
    }
}
