using System.Buffers;
using System.Buffers.Binary;
using Mqtt.Codec;

namespace Mqtt.Broker;

/// <summary>
/// Reads the state file (<see cref="StateRecord"/>) into a <see cref="BrokerState"/>. Every length is checked against
/// the bytes left before anything is sliced or allocated, messages and subscriptions are read back through the codec
/// with its checks, and anything wrong is a <see cref="StateFileException"/>: nothing a file holds makes this throw
/// another exception, loop, or allocate more than the file's size.
/// </summary>
internal sealed class StateFileReader
{
    private const int MaximumSubscriptionIdentifier = 268_435_455;

    private readonly string _path;
    private readonly byte[] _bytes;
    private readonly StateClock _clock;
    private readonly List<ApplicationMessage> _messages = [];
    private readonly BrokerState _state = new();
    private readonly HashSet<string> _clientIds = new(StringComparer.Ordinal);
    private SessionState? _session;
    private HashSet<ushort>? _inflightIds;
    private int _offset;
    private int _end;

    private StateFileReader(string path, byte[] bytes, StateClock clock)
    {
        _path = path;
        _bytes = bytes;
        _clock = clock;
    }

    /// <summary>Loads the file at <paramref name="path"/>.</summary>
    /// <exception cref="StateFileException">The file is not a valid state file.</exception>
    /// <exception cref="IOException">It cannot be read.</exception>
    public static BrokerState Read(string path, StateClock clock)
    {
        if (Directory.Exists(path))
        {
            throw new StateFileException(path, 0, "a folder, not a file");
        }
        if (new FileInfo(path).LinkTarget is string target && !Path.Exists(Path.Combine(Path.GetDirectoryName(path) ?? "", target)))
        {
            // Started clean, the broker would save over the link: a state kept on a disk not mounted yet would be left behind.
            throw new StateFileException(path, 0, $"a link to {target}, which does not exist");
        }
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        if (!file.CanSeek)
        {
            throw new StateFileException(path, 0, "not a regular file");
        }
        // The header first, so that a file that is not ours is refused before it is read (or its size allocated).
        Span<byte> header = stackalloc byte[StateFileWriter.Magic.Length];
        header = header[..file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false)];
        if (!header.SequenceEqual(StateFileWriter.Magic))
        {
            return Decode(path, header.ToArray(), clock);
        }
        // Then as many bytes as the file system says the file has, never more: a device has no end.
        long size = file.Length;
        if (size > StateFileWriter.MaximumSize)
        {
            throw new StateFileException(path, 0, $"{size} bytes, more than the {StateFileWriter.MaximumSize} a state file holds");
        }
        byte[] bytes = new byte[Math.Max(size, header.Length)];
        header.CopyTo(bytes);
        int read = header.Length + file.ReadAtLeast(bytes.AsSpan(header.Length), bytes.Length - header.Length, throwOnEndOfStream: false);
        return Decode(path, read == bytes.Length ? bytes : bytes[..read], clock);
    }

    /// <summary>Reads the content of a state file; <paramref name="path"/> only names it in errors.</summary>
    public static BrokerState Decode(string path, byte[] bytes, StateClock clock) => new StateFileReader(path, bytes, clock).ReadAll();

    private BrokerState ReadAll()
    {
        _end = _bytes.Length;
        if (!_bytes.AsSpan().StartsWith(StateFileWriter.Magic))
        {
            throw Fail(0, _bytes.Length == 0 ? "empty, not a mqttcore state file" : "not a mqttcore state file");
        }
        _offset = StateFileWriter.Magic.Length;
        ushort version = ReadUInt16();
        if (version != StateFileWriter.Version)
        {
            throw Fail(_offset - 2, $"format version {version}; this broker reads version {StateFileWriter.Version}");
        }
        while (true)
        {
            if (_bytes.Length - _offset < 5)
            {
                throw Fail(_offset, "the file ends without its end record (truncated)");
            }
            int start = _offset;
            var type = (StateRecord)_bytes[_offset];
            uint length = BinaryPrimitives.ReadUInt32BigEndian(_bytes.AsSpan(_offset + 1));
            _offset += 5;
            if (length > (uint)(_bytes.Length - _offset))
            {
                throw Fail(start, $"a record of {length} bytes where {_bytes.Length - _offset} are left (truncated)");
            }
            _end = _offset + (int)length;
            if (type == StateRecord.End)
            {
                if (length != 0 || _end != _bytes.Length)
                {
                    throw Fail(start, "bytes after the end record");
                }
                return _state;
            }
            ReadRecord(type, start);
            if (_offset != _end)
            {
                throw Fail(_offset, $"{_end - _offset} unread bytes at the end of a {type} record");
            }
        }
    }

    private void ReadRecord(StateRecord type, int start)
    {
        switch (type)
        {
            case StateRecord.Message:
                ReadMessage();
                break;
            case StateRecord.Retained:
                _state.Retained.Add(ReadMessageIndex());
                break;
            case StateRecord.Session:
                ReadSession(start);
                break;
            case StateRecord.Subscription:
                CurrentSession(start).Subscriptions.Add(ReadSubscription());
                break;
            case StateRecord.Delivery:
                ReadDelivery(CurrentSession(start));
                break;
            case StateRecord.IncomingQoS2:
                CurrentSession(start).IncomingQoS2.Add(ReadPacketId());
                break;
            default:
                throw Fail(start, $"unknown record type {(byte)type}");
        }
    }

    private void ReadMessage()
    {
        long receivedAt = ReadInt64();
        int start = _offset;
        MqttFrame frame = ReadFrame(PacketType.Publish, int.MaxValue);
        if (!PublishPacket.TryRead(frame, ProtocolVersion.V500, out PublishPacket packet, out DecodeError error))
        {
            throw Fail(start, $"a stored message does not read as a PUBLISH: {error}");
        }
        if (packet.Topic.IsEmpty)
        {
            throw Fail(start, "a stored message has no Topic Name");
        }
        // The broker's own copy of the body, as for a received message: the file's buffer is not kept.
        _messages.Add(ApplicationMessage.Copy(frame, ProtocolVersion.V500, packet.TopicString, publisherClientId: null, _clock.ToTicks(receivedAt)));
    }

    private void ReadSession(int start)
    {
        string clientId = ReadString();
        byte flags = ReadByte();
        if ((flags & ~(StateFileWriter.SessionHasUserName | StateFileWriter.SessionWasConnected)) != 0)
        {
            throw Fail(_offset - 1, $"session flags 0x{flags:X2}");
        }
        string? userName = (flags & StateFileWriter.SessionHasUserName) != 0 ? ReadString() : null;
        if (!_clientIds.Add(clientId))
        {
            throw Fail(start, "two sessions with one Client Identifier");
        }
        _session = new SessionState
        {
            ClientId = clientId,
            UserName = userName,
            ExpiryInterval = ReadUInt32(),
            DisconnectedAt = _clock.ToTicks(ReadInt64()),
            WasConnected = (flags & StateFileWriter.SessionWasConnected) != 0,
            LastPacketId = ReadUInt16(),
        };
        int tagLength = ReadByte();
        if (tagLength is not (0 or SessionState.CredentialTagLength))
        {
            throw Fail(_offset - 1, $"a credential tag of {tagLength} bytes");
        }
        _session.CredentialTag = ReadBytes(tagLength).ToArray();
        _inflightIds = [];
        _state.Sessions.Add(_session);
    }

    private SavedSubscription ReadSubscription()
    {
        int start = _offset;
        var version = (ProtocolVersion)ReadByte();
        if (version is not (ProtocolVersion.V311 or ProtocolVersion.V500))
        {
            throw Fail(start, $"protocol level {(byte)version} for a subscription");
        }
        MqttFrame frame = ReadFrame(PacketType.Subscribe, int.MaxValue);
        if (!SubscribePacket.TryRead(frame, version, out SubscribePacket packet, out DecodeError error))
        {
            throw Fail(start, $"a stored subscription does not read as a SUBSCRIBE: {error}");
        }
        SubscriptionIdentifiers identifiers = packet.Properties.SubscriptionIdentifiers;
        if (packet.Subscriptions.Count != 1 || identifiers.Count > 1)
        {
            throw Fail(start, "a stored subscription holds more than one filter or identifier");
        }
        int identifier = 0;
        foreach (int id in identifiers)
        {
            identifier = id;
        }
        foreach (Subscription subscription in packet.Subscriptions)
        {
            return new SavedSubscription(subscription.TopicFilterString, subscription with { TopicFilter = default }, identifier);
        }
        throw Fail(start, "a stored subscription holds no filter");
    }

    private void ReadDelivery(SessionState session)
    {
        int start = _offset;
        ApplicationMessage message = ReadMessageIndex();
        var qos = (QualityOfService)ReadByte();
        var flags = (SavedDeliveryFlags)ReadByte();
        ushort packetId = ReadUInt16();
        long flightOrder = ReadInt64();
        bool inflight = flags.HasFlag(SavedDeliveryFlags.Inflight);
        string? problem = qos is not (QualityOfService.AtLeastOnce or QualityOfService.ExactlyOnce) ? $"QoS {(byte)qos} for a stored delivery"
            : flags > (SavedDeliveryFlags)0b1111 ? "unknown delivery flags"
            : inflight != (packetId != 0) ? "a Packet Identifier on a queued delivery, or none on one in flight"
            : inflight && !_inflightIds!.Add(packetId) ? $"Packet Identifier {packetId} in flight twice"
            : flags.HasFlag(SavedDeliveryFlags.Released) && !(inflight && qos == QualityOfService.ExactlyOnce) ? "a released delivery that is not QoS 2 in flight"
            : null;
        if (problem is not null)
        {
            throw Fail(start, problem);
        }
        int count = ReadUInt16();
        if (count * 4 > _end - _offset)
        {
            throw Fail(_offset - 2, $"{count} Subscription Identifiers where {_end - _offset} bytes are left");
        }
        Span<int> identifiers = count <= 64 ? stackalloc int[count] : new int[count];
        for (int i = 0; i < count; i++)
        {
            uint identifier = ReadUInt32();
            identifiers[i] = identifier is >= 1 and <= MaximumSubscriptionIdentifier ? (int)identifier : throw Fail(_offset - 4, $"Subscription Identifier {identifier}");
        }
        var delivery = new Delivery(message, qos, flags.HasFlag(SavedDeliveryFlags.Retain), count == 0 ? default : SubscriptionIdentifiers.Create(identifiers))
        {
            PacketId = packetId,
            FlightOrder = flightOrder,
            Sent = flags.HasFlag(SavedDeliveryFlags.Sent),
            Released = flags.HasFlag(SavedDeliveryFlags.Released),
        };
        (inflight ? session.Inflight : session.Queued).Add(delivery);
    }

    private SessionState CurrentSession(int start) => _session ?? throw Fail(start, "a session's record before any session");

    private ApplicationMessage ReadMessageIndex()
    {
        uint index = ReadUInt32();
        return index < (uint)_messages.Count ? _messages[(int)index] : throw Fail(_offset - 4, $"message {index} where {_messages.Count} were stored before");
    }

    private ushort ReadPacketId()
    {
        ushort packetId = ReadUInt16();
        return packetId != 0 ? packetId : throw Fail(_offset - 2, "Packet Identifier 0");
    }

    /// <summary>A packet of <paramref name="type"/> filling the rest of the record.</summary>
    private MqttFrame ReadFrame(PacketType type, int maximumSize)
    {
        var input = new ReadOnlySequence<byte>(_bytes, _offset, _end - _offset);
        DecodeStatus status = MqttFrameReader.TryRead(input, maximumSize, out MqttFrame frame, out DecodeError error);
        string? problem = status switch
        {
            DecodeStatus.Complete when frame.Type != type => $"a {frame.Type} packet where a {type} belongs",
            DecodeStatus.Complete when frame.Length != input.Length => $"{input.Length - frame.Length} bytes after the {type} packet",
            DecodeStatus.Complete => null,
            DecodeStatus.NeedMoreData => $"a {type} packet longer than its record",
            _ => $"a {type} packet that does not read: {error}",
        };
        if (problem is not null)
        {
            throw Fail(_offset, problem);
        }
        _offset = _end;
        return frame;
    }

    private string ReadString()
    {
        int start = _offset;
        ReadOnlySpan<byte> bytes = ReadBytes(ReadUInt16());
        return MqttUtf8.IsWellFormed(bytes) ? System.Text.Encoding.UTF8.GetString(bytes) : throw Fail(start, "a string that is not well-formed UTF-8");
    }

    private byte ReadByte() => ReadBytes(1)[0];

    private ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(ReadBytes(2));

    private uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(ReadBytes(4));

    private long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(ReadBytes(8));

    private ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count > _end - _offset)
        {
            throw Fail(_offset, $"a field of {count} bytes where the record has {_end - _offset} left");
        }
        _offset += count;
        return _bytes.AsSpan(_offset - count, count);
    }

    private StateFileException Fail(long offset, string problem) => new(_path, offset, problem);
}
