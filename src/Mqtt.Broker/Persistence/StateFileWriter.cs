using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Mqtt.Codec;

namespace Mqtt.Broker;

/// <summary>
/// Writes a <see cref="BrokerState"/> to the state file (format: <see cref="StateRecord"/>), atomically, record by record
/// into the file (the state is never held twice in memory). A message several sessions wait for is stored once and
/// referred to by index, as Mosquitto's database stores it once.
/// </summary>
internal sealed class StateFileWriter
{
    /// <summary>"MQTTCORE" then the format version (2 bytes).</summary>
    public static ReadOnlySpan<byte> Magic => "MQTTCORE"u8;

    public const ushort Version = 1;

    /// <summary>Bits of a session record's flags byte: a user name follows; the session was connected when saved.</summary>
    internal const byte SessionHasUserName = 1, SessionWasConnected = 2;

    /// <summary>The largest file the reader takes (it reads the file into one array): a larger state is not saved.</summary>
    public static readonly long MaximumSize = Array.MaxLength;

    /// <summary>Temporary files are the state file's name, this, then the writer's process id and a random part.</summary>
    private const string TemporaryMarker = ".tmp-";

    private readonly Stream _file;
    private readonly ArrayBufferWriter<byte> _record = new();
    private readonly Dictionary<ApplicationMessage, uint> _messages = new(ReferenceEqualityComparer.Instance);
    private readonly StateClock _clock;
    private long _written;

    private StateFileWriter(Stream file, StateClock clock)
    {
        _file = file;
        _clock = clock;
    }

    /// <summary>Replaces the file at <paramref name="path"/>; on failure the old file stays as it was.</summary>
    /// <exception cref="IOException">It could not be written, or the state is larger than <see cref="MaximumSize"/>.</exception>
    public static void Write(string path, BrokerState state, StateClock clock)
    {
        string temp = $"{path}{TemporaryMarker}{Environment.ProcessId}-{Guid.NewGuid():N}";
        AtomicFile.Write(path, temp, file => new StateFileWriter(file, clock).WriteAll(state));
    }

    /// <summary>The file's content, in memory (for tests).</summary>
    public static byte[] Encode(BrokerState state, StateClock clock)
    {
        using var file = new MemoryStream();
        new StateFileWriter(file, clock).WriteAll(state);
        return file.ToArray();
    }

    /// <summary>Removes temporary files a crash in the middle of a save left beside <paramref name="path"/>.</summary>
    public static void DeleteStaleTemporaryFiles(string path)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        foreach (string stale in Directory.EnumerateFiles(folder, Path.GetFileName(path) + TemporaryMarker + "*"))
        {
            File.Delete(stale);
        }
    }

    /// <summary>False for a session whose names the file cannot hold (at most 65,535 UTF-8 bytes, no U+0000).</summary>
    public static bool CanStore(SessionState session) => CanStore(session.ClientId) && (session.UserName is null || CanStore(session.UserName));

    private static bool CanStore(string text) => !text.Contains('\0') && Encoding.UTF8.GetByteCount(text) <= ushort.MaxValue;

    private void WriteAll(BrokerState state)
    {
        Span<byte> header = stackalloc byte[10];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt16BigEndian(header[Magic.Length..], Version);
        Append(header);
        foreach (ApplicationMessage message in state.Retained)
        {
            WriteUInt32(_record, IndexOf(message));
            EndRecord(StateRecord.Retained);
        }
        foreach (SessionState session in state.Sessions)
        {
            WriteSession(session);
        }
        EndRecord(StateRecord.End);
    }

    private void WriteSession(SessionState session)
    {
        WriteString(_record, session.ClientId);
        _record.Write([(byte)((session.UserName is null ? 0 : SessionHasUserName) | (session.WasConnected ? SessionWasConnected : 0))]);
        if (session.UserName is not null)
        {
            WriteString(_record, session.UserName);
        }
        WriteUInt32(_record, session.ExpiryInterval);
        WriteInt64(_record, _clock.ToUnixMilliseconds(session.DisconnectedAt));
        WriteUInt16(_record, session.LastPacketId);
        _record.Write([(byte)session.CredentialTag.Length]);
        _record.Write(session.CredentialTag);
        EndRecord(StateRecord.Session);
        foreach (SavedSubscription subscription in session.Subscriptions)
        {
            WriteSubscription(subscription);
        }
        foreach (Delivery delivery in session.Inflight)
        {
            WriteDelivery(delivery, SavedDeliveryFlags.Inflight);
        }
        foreach (Delivery delivery in session.Queued)
        {
            WriteDelivery(delivery, SavedDeliveryFlags.None);
        }
        foreach (ushort packetId in session.IncomingQoS2)
        {
            WriteUInt16(_record, packetId);
            EndRecord(StateRecord.IncomingQoS2);
        }
    }

    /// <summary>
    /// As a SUBSCRIBE packet, so that loading checks the filter and options as the broker checks a client's. A
    /// subscription with nothing of MQTT 5 goes as 3.1.1, which reads literally a 3.1.1 client's "$share/g" that MQTT 5
    /// refuses.
    /// </summary>
    private void WriteSubscription(SavedSubscription subscription)
    {
        Subscription options = subscription.Options with { TopicFilter = MqttUtf8.Encode(subscription.Filter) };
        bool v311 = subscription.Identifier == 0 && !options.NoLocal && !options.RetainAsPublished && options.RetainHandling == RetainHandling.SendOnSubscribe;
        ProtocolVersion version = v311 ? ProtocolVersion.V311 : ProtocolVersion.V500;
        var packet = new SubscribePacket
        {
            PacketId = 1,
            Properties = subscription.Identifier == 0 ? default : new MqttProperties { SubscriptionIdentifiers = SubscriptionIdentifiers.Create(subscription.Identifier) },
            Subscriptions = SubscriptionList.Create(options),
        };
        _record.Write([(byte)version]);
        packet.Write(_record, version);
        EndRecord(StateRecord.Subscription);
    }

    private void WriteDelivery(Delivery delivery, SavedDeliveryFlags flags)
    {
        flags |= (delivery.Retain ? SavedDeliveryFlags.Retain : 0) | (delivery.Sent ? SavedDeliveryFlags.Sent : 0)
            | (delivery.Released ? SavedDeliveryFlags.Released : 0);
        WriteUInt32(_record, IndexOf(delivery.Message));
        _record.Write([(byte)delivery.QoS, (byte)flags]);
        WriteUInt16(_record, delivery.PacketId);
        WriteInt64(_record, delivery.FlightOrder);
        // More than 65,535 matching subscriptions with identifiers needs MaximumSubscriptionsPerClient raised that far.
        int count = Math.Min(delivery.SubscriptionIdentifiers.Count, ushort.MaxValue);
        WriteUInt16(_record, (ushort)count);
        foreach (int identifier in delivery.SubscriptionIdentifiers)
        {
            if (count-- == 0)
            {
                break;
            }
            WriteUInt32(_record, (uint)identifier);
        }
        EndRecord(StateRecord.Delivery);
    }

    /// <summary>The message's index, writing its record first if this is its first use.</summary>
    private uint IndexOf(ApplicationMessage message)
    {
        if (_messages.TryGetValue(message, out uint index))
        {
            return index;
        }
        // The record of the referring record may be under way: the message's goes straight to the file, before it.
        var body = new ArrayBufferWriter<byte>(message.Size + 16);
        WriteInt64(body, _clock.ToUnixMilliseconds(message.ReceivedAt));
        MqttProperties properties = message.Packet.Properties;
        properties.TopicAlias = null;
        // A QoS 1/2 PUBLISH must carry a Packet Identifier to read back [MQTT-2.2.1-3]; the stored one is never sent.
        PublishPacket packet = message.Packet with
        {
            Topic = message.TopicBytes,
            Properties = properties,
            Duplicate = false,
            PacketId = message.QoS == QualityOfService.AtMostOnce ? (ushort)0 : (ushort)1,
        };
        packet.Write(body, ProtocolVersion.V500);
        WriteRecord(StateRecord.Message, body.WrittenSpan);
        index = (uint)_messages.Count;
        _messages.Add(message, index);
        return index;
    }

    private void EndRecord(StateRecord type)
    {
        WriteRecord(type, _record.WrittenSpan);
        _record.ResetWrittenCount();
    }

    private void WriteRecord(StateRecord type, ReadOnlySpan<byte> body)
    {
        Span<byte> header = stackalloc byte[5];
        header[0] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(header[1..], (uint)body.Length);
        Append(header);
        Append(body);
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        _written += bytes.Length;
        if (_written > MaximumSize)
        {
            throw new IOException($"the state is over {MaximumSize} bytes, the most a state file holds: not saved");
        }
        _file.Write(bytes);
    }

    private static void WriteString(ArrayBufferWriter<byte> output, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        WriteUInt16(output, (ushort)bytes.Length);
        output.Write(bytes);
    }

    private static void WriteUInt16(ArrayBufferWriter<byte> output, ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(output.GetSpan(2), value);
        output.Advance(2);
    }

    private static void WriteUInt32(ArrayBufferWriter<byte> output, uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    private static void WriteInt64(ArrayBufferWriter<byte> output, long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(output.GetSpan(8), value);
        output.Advance(8);
    }
}
