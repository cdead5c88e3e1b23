using System.Buffers;

namespace Mqtt.Codec;

/// <summary>
/// One whole packet located in the input but not yet decoded: its fixed header and its body
/// (variable header and payload, exactly Remaining Length bytes), a slice of the input.
/// </summary>
/// <remarks>
/// A frame found by <see cref="MqttFrameReader"/> keeps the input it was found in and the body's position in it,
/// so framing slices nothing; <see cref="Body"/> is sliced on demand, and packet readers take the body's span
/// straight from the input's first segment when the whole frame lies there (the common case).
/// </remarks>
public readonly struct MqttFrame
{
    // The body is _source[_bodyStart .. _bodyStart + _bodyLength]; a start of 0 means the source is the body
    // (the fixed header is at least two bytes, so a frame the reader found never starts its body at 0).
    private readonly ReadOnlySequence<byte> _source;
    private readonly int _bodyStart;
    private readonly int _bodyLength;

    // A body of at most 4 bytes (PUBACK, PUBREC, PUBREL, PUBCOMP and the short DISCONNECT and AUTH), left-aligned
    // big-endian, copied at framing so that reading it needs no second look at the input; valid when _hasShortBody.
    private readonly uint _shortBody;
    private readonly bool _hasShortBody;

    /// <summary>Creates a frame; <paramref name="headerLength"/> is the size of the fixed header in bytes.</summary>
    public MqttFrame(PacketType type, byte flags, int headerLength, ReadOnlySequence<byte> body)
        : this(type, flags, headerLength, body, 0, checked((int)body.Length), default)
    {
    }

    /// <summary>A frame found in <paramref name="source"/>; <paramref name="firstSpan"/> is the source's first span.</summary>
    internal MqttFrame(PacketType type, byte flags, int headerLength, in ReadOnlySequence<byte> source, int bodyStart, int bodyLength,
        ReadOnlySpan<byte> firstSpan)
    {
        Type = type;
        Flags = flags;
        HeaderLength = headerLength;
        _source = source;
        _bodyStart = bodyStart;
        _bodyLength = bodyLength;
        if (bodyLength <= sizeof(uint) && bodyStart + bodyLength <= firstSpan.Length)
        {
            uint value = 0;
            for (int i = 0; i < bodyLength; i++)
            {
                value |= (uint)firstSpan[bodyStart + i] << (24 - 8 * i);
            }
            _shortBody = value;
            _hasShortBody = true;
        }
    }

    /// <summary>The packet type (high nibble of byte 1).</summary>
    public PacketType Type { get; }

    /// <summary>The flags (low nibble of byte 1).</summary>
    public byte Flags { get; }

    /// <summary>Size of the fixed header: one byte plus the Remaining Length's 1 to 4.</summary>
    public int HeaderLength { get; }

    /// <summary>The variable header and payload.</summary>
    public ReadOnlySequence<byte> Body => _bodyStart == 0 ? _source : ArraySequence.Slice(_source, _bodyStart, _bodyLength);

    /// <summary>Size of the whole packet on the wire.</summary>
    public long Length => HeaderLength + _bodyLength;

    /// <summary>Remaining Length: the size of <see cref="Body"/>.</summary>
    internal int BodyLength => _bodyLength;

    /// <summary>Where the body starts in <see cref="Source"/>.</summary>
    internal int BodyStart => _bodyStart;

    /// <summary>The sequence the body is a part of.</summary>
    internal ReadOnlySequence<byte> Source => _source;

    /// <summary>
    /// A body of at most 4 bytes, left-aligned big-endian (the first byte in bits 31-24), when framing saw it whole.
    /// </summary>
    internal bool TryGetShortBody(out uint body)
    {
        body = _shortBody;
        return _hasShortBody;
    }

    /// <summary>The body as one span when it lies in the source's first segment.</summary>
    internal bool TryGetBodySpan(out ReadOnlySpan<byte> body)
    {
        ReadOnlySpan<byte> first = ArraySequence.FirstSpanOf(_source);
        if ((uint)(_bodyStart + _bodyLength) <= (uint)first.Length)
        {
            body = first.Slice(_bodyStart, _bodyLength);
            return true;
        }
        body = default;
        return false;
    }
}
