using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Mqtt.Codec;

namespace Mqtt.Broker;

/// <summary>
/// Writes a <see cref="BrokerState"/> to the state file (format: <see cref="StateRecord"/>), atomically. A message
/// several sessions wait for is stored once and referred to by index, as Mosquitto's database stores it once.
/// </summary>
internal sealed class StateFileWriter
{
    /// <summary>"MQTTCORE" then the format version (2 bytes).</summary>
    public static ReadOnlySpan<byte> Magic => "MQTTCORE"u8;

    public const ushort Version = 1;

    private readonly ArrayBufferWriter<byte> _file = new();
    private readonly ArrayBufferWriter<byte> _record = new();
    private readonly Dictionary<ApplicationMessage, uint> _messages = new(ReferenceEqualityComparer.Instance);
    private readonly StateClock _clock;

    private StateFileWriter(StateClock clock) => _clock = clock;

    public static void Write(string path, BrokerState state, StateClock clock)
    {
        byte[] content = Encode(state, clock);
        string temp = path + ".tmp";
        File.Delete(temp); // left by a crash in the middle of a save
        AtomicFile.Write(path, temp, content);
    }

    public static byte[] Encode(BrokerState state, StateClock clock)
    {
        var writer = new StateFileWriter(clock);
        writer._file.Write(Magic);
        WriteUInt16(writer._file, Version);
        foreach (ApplicationMessage message in state.Retained)
        {
            WriteUInt32(writer._record, writer.IndexOf(message));
            writer.EndRecord(StateRecord.Retained);
        }
        foreach (SessionState session in state.Sessions)
        {
            writer.WriteSession(session);
        }
        writer.EndRecord(StateRecord.End);
        return writer._file.WrittenSpan.ToArray();
    }

    private void WriteSession(SessionState session)
    {
        WriteString(_record, session.ClientId);
        _record.Write([(byte)(session.UserName is null ? 0 : 1)]);
        if (session.UserName is not null)
        {
            WriteString(_record, session.UserName);
        }
        WriteUInt32(_record, session.ExpiryInterval);
        WriteInt64(_record, _clock.ToUnixMilliseconds(session.DisconnectedAt));
        WriteUInt16(_record, session.LastPacketId);
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
        WriteUInt16(_record, (ushort)delivery.SubscriptionIdentifiers.Count);
        foreach (int identifier in delivery.SubscriptionIdentifiers)
        {
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
        _file.Write([(byte)type]);
        WriteUInt32(_file, (uint)body.Length);
        _file.Write(body);
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
