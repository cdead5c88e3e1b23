using System.Buffers.Binary;

namespace Mqtt.Broker;

/// <summary>
/// Turns the frames a WebSocket client sends (RFC 6455 section 5) back into the MQTT byte stream, in place in the
/// receive buffer: the payloads of binary frames are unmasked and moved over the frame headers, so every frame that
/// arrived in one receive becomes one run of MQTT bytes, and the packet reader handles them as one batch. Packets may
/// span frames and frames may hold several packets [MQTT-6.0.0-2]. Control frames are handled here: a ping's answer
/// waits in <see cref="TakePong"/>, a close ends the stream. A text frame [MQTT-6.0.0-1], an unmasked frame, reserved
/// bits (no extension is negotiated) or an unknown opcode is a protocol error: <see cref="IOException"/>.
/// </summary>
internal sealed class WebSocketFrameDecoder
{
    private const int MaxHeaderSize = 14;
    private const int MaxControlPayload = 125;
    private const ushort NormalClosure = 1000;
    private const ushort ProtocolError = 1002;
    private const ushort UnacceptableData = 1003;
    private const ushort InconsistentData = 1007;

    private readonly byte[] _header = new byte[MaxHeaderSize];
    private int _headerLength;
    private byte[]? _control;
    private int _controlLength;
    private byte[]? _pong;
    private bool _pongNowWaiting;
    private long _payloadRemaining;
    private uint _mask;
    private int _maskOffset;
    private WebSocketOpcode _opcode;
    private bool _inMessage;

    /// <summary>The client sent a close frame: nothing after it is read.</summary>
    public bool CloseReceived { get; private set; }

    /// <summary>Decoding failed: the connection is broken; our close frame says why (<see cref="CloseStatus"/>).</summary>
    public bool Failed { get; private set; }

    /// <summary>
    /// The status our close frame carries (RFC 6455 section 7.4): 1000, or the code of the client's own close frame
    /// echoed (section 5.5.1); 1002 after a protocol error (an invalid close frame too), 1003 after a text frame,
    /// 1007 for a close reason that is not UTF-8.
    /// </summary>
    public ushort CloseStatus { get; private set; } = NormalClosure;

    /// <summary>
    /// Decodes <paramref name="received"/> (raw bytes just received) in place; returns how many MQTT bytes now start it.
    /// A frame header cut off at the end is kept here until the rest arrives.
    /// </summary>
    public int Decode(Span<byte> received)
    {
        int read = 0;
        int written = 0;
        while (read < received.Length && !CloseReceived)
        {
            if (_payloadRemaining == 0 && !TryReadHeader(received, ref read))
            {
                break;
            }
            int count = (int)Math.Min(_payloadRemaining, received.Length - read);
            Span<byte> payload = received.Slice(read, count);
            Unmask(payload);
            read += count;
            _payloadRemaining -= count;
            if (_opcode is WebSocketOpcode.Binary or WebSocketOpcode.Continuation)
            {
                payload.CopyTo(received[written..]);
                written += count;
            }
            else
            {
                payload.CopyTo((_control ??= new byte[MaxControlPayload]).AsSpan(_controlLength));
                _controlLength += count;
            }
            if (_payloadRemaining == 0 && IsControl(_opcode))
            {
                EndControlFrame();
            }
        }
        return written;
    }

    /// <summary>A ping was received and its pong not yet taken.</summary>
    public bool PongWaiting => Volatile.Read(ref _pong) is not null;

    /// <summary>
    /// True once after a ping left a pong waiting where none was: the moment to have the writer flush. Pings that
    /// replace a pong still waiting need no second flush, so a client that pings and never reads queues nothing.
    /// Read by the receiving side only, like <see cref="Decode"/>.
    /// </summary>
    public bool TakePongNowWaiting()
    {
        bool now = _pongNowWaiting;
        _pongNowWaiting = false;
        return now;
    }

    /// <summary>The pong frame answering the last ping, once; null when there is none to send.</summary>
    public byte[]? TakePong() => Interlocked.Exchange(ref _pong, null);

    /// <summary>Reads one frame header, from bytes kept from the last receive and then from <paramref name="received"/>.</summary>
    private bool TryReadHeader(Span<byte> received, ref int read)
    {
        while (true)
        {
            // The first two bytes tell how long the header is.
            int needed = _headerLength < 2 ? 2 : HeaderSize(_header[1]);
            int take = Math.Min(needed - _headerLength, received.Length - read);
            received.Slice(read, take).CopyTo(_header.AsSpan(_headerLength));
            _headerLength += take;
            read += take;
            if (_headerLength < needed)
            {
                return false;
            }
            if (needed == 2)
            {
                CheckFirstBytes();
                continue;
            }
            StartFrame();
            _headerLength = 0;
            return true;
        }
    }

    /// <summary>Size of a client's frame header from its second byte: length field, then the 4-byte masking key.</summary>
    private static int HeaderSize(byte second) => (second & 0x7F) switch
    {
        126 => 2 + 2 + 4,
        127 => 2 + 8 + 4,
        _ => 2 + 4,
    };

    /// <summary>What the first two bytes alone can refuse, refused before the rest of the header arrives.</summary>
    private void CheckFirstBytes()
    {
        byte first = _header[0];
        if ((first & 0x70) != 0)
        {
            Fail("a reserved bit is set (no extension was negotiated)");
        }
        if ((_header[1] & 0x80) == 0)
        {
            Fail("an unmasked frame from the client (RFC 6455 section 5.1)");
        }
        bool final = (first & 0x80) != 0;
        switch ((WebSocketOpcode)(first & 0x0F))
        {
            case WebSocketOpcode.Text:
                Fail("[MQTT-6.0.0-1] a text frame: MQTT is sent in binary frames only", UnacceptableData);
                break;
            case WebSocketOpcode.Binary when _inMessage:
            case WebSocketOpcode.Continuation when !_inMessage:
                Fail("a data frame out of order in a fragmented message");
                break;
            case WebSocketOpcode.Binary or WebSocketOpcode.Continuation:
                break;
            case WebSocketOpcode.Close or WebSocketOpcode.Ping or WebSocketOpcode.Pong:
                if (!final || (_header[1] & 0x7F) > MaxControlPayload)
                {
                    Fail("a fragmented or over-long control frame");
                }
                break;
            default:
                Fail($"unknown opcode {first & 0x0F}");
                break;
        }
    }

    private void StartFrame()
    {
        byte second = _header[1];
        ReadOnlySpan<byte> rest = _header.AsSpan(2);
        long length = (second & 0x7F) switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(rest),
            127 => (long)BinaryPrimitives.ReadUInt64BigEndian(rest),
            int small => small,
        };
        if (length < 0)
        {
            Fail("a 64-bit payload length with its top bit set");
        }
        _opcode = (WebSocketOpcode)(_header[0] & 0x0F);
        if (!IsControl(_opcode))
        {
            _inMessage = (_header[0] & 0x80) == 0;
        }
        _controlLength = 0;
        _mask = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(HeaderSize(second) - 4));
        _maskOffset = 0;
        _payloadRemaining = length;
    }

    private void EndControlFrame()
    {
        switch (_opcode)
        {
            case WebSocketOpcode.Close:
                CloseReceived = true;
                CloseStatus = AnswerToClose(_control.AsSpan(0, _controlLength));
                break;
            case WebSocketOpcode.Ping:
                // Answered with the same payload (RFC 6455 section 5.5.3); only the latest ping needs an answer.
                byte[] pong = new byte[2 + _controlLength];
                WebSocketFraming.WriteHeader(pong, WebSocketOpcode.Pong, _controlLength);
                _control.AsSpan(0, _controlLength).CopyTo(pong.AsSpan(2));
                if (Interlocked.Exchange(ref _pong, pong) is null)
                {
                    _pongNowWaiting = true;
                }
                break;
        }
    }

    private static bool IsControl(WebSocketOpcode opcode) => opcode >= WebSocketOpcode.Close;

    /// <summary>XORs the payload with the frame's masking key, continuing where the last part of the frame stopped.</summary>
    private void Unmask(Span<byte> payload)
    {
        WebSocketFraming.Mask(payload, _mask, _maskOffset);
        _maskOffset = (_maskOffset + payload.Length) & 3;
    }

    /// <summary>The status answering a client's close frame whose payload is <paramref name="payload"/> (section 5.5.1, 7.4).</summary>
    private static ushort AnswerToClose(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return NormalClosure;
        }
        if (payload.Length == 1)
        {
            return ProtocolError;
        }
        ushort code = BinaryPrimitives.ReadUInt16BigEndian(payload);
        // Codes an endpoint may send: defined by the RFC or IANA's registry (1004-1006 and 1015 never go on the wire),
        // and 3000-4999 for libraries and applications.
        bool sendable = code is >= 1000 and <= 1003 or >= 1007 and <= 1014 or >= 3000 and <= 4999;
        if (!sendable)
        {
            return ProtocolError;
        }
        return System.Text.Unicode.Utf8.IsValid(payload[2..]) ? code : InconsistentData;
    }

    private void Fail(string reason, ushort status = ProtocolError)
    {
        Failed = true;
        CloseStatus = status;
        throw new IOException($"WebSocket protocol error: {reason}");
    }
}
