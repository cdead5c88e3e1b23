using System.Buffers;
using Mqtt.Codec;

namespace Mqtt.Broker;

/// <summary>
/// A published message as the broker keeps it: one immutable copy of the PUBLISH body that every delivery
/// shares (no copy per subscriber). Topic, payload and properties are slices of that copy.
/// </summary>
public sealed class ApplicationMessage
{
    private ApplicationMessage(string topic, PublishPacket packet, int size, string? publisherClientId, long receivedAt)
    {
        Size = size;
        Topic = topic;
        TopicBytes = packet.Topic.IsEmpty ? MqttUtf8.Encode(topic) : packet.Topic;
        Packet = packet;
        PublisherClientId = publisherClientId;
        ReceivedAt = receivedAt;
    }

    /// <summary>The Topic Name (after any Topic Alias was resolved).</summary>
    public string Topic { get; }

    /// <summary>The Topic Name's UTF-8 bytes, for writing.</summary>
    public ReadOnlySequence<byte> TopicBytes { get; }

    /// <summary>The PUBLISH as received, re-read from the broker's own copy of its bytes.</summary>
    public PublishPacket Packet { get; }

    /// <summary>Client Identifier of the publisher, for No Local; null for messages the broker makes.</summary>
    public string? PublisherClientId { get; }

    /// <summary><see cref="Environment.TickCount64"/> when the broker received it, for Message Expiry.</summary>
    public long ReceivedAt { get; }

    /// <summary>Bytes of the stored PUBLISH (header and body): what one delivery of it roughly costs to send.</summary>
    public int Size { get; }

    /// <summary>The message's QoS as published.</summary>
    public QualityOfService QoS => Packet.QoS;

    /// <summary>Copies a received PUBLISH out of the connection's buffer so it can outlive it.</summary>
    public static ApplicationMessage Copy(in MqttFrame frame, ProtocolVersion version, string topic, string? publisherClientId) =>
        Copy(frame, version, topic, publisherClientId, Environment.TickCount64);

    /// <summary>Copies a PUBLISH already checked by the codec, received at <paramref name="receivedAt"/> (a message loaded from the state file).</summary>
    internal static ApplicationMessage Copy(in MqttFrame frame, ProtocolVersion version, string topic, string? publisherClientId, long receivedAt)
    {
        byte[] body = frame.Body.ToArray();
        var owned = new MqttFrame(frame.Type, frame.Flags, frame.HeaderLength, new ReadOnlySequence<byte>(body));
        PublishPacket.TryRead(owned, version, out PublishPacket packet, out _);
        return new ApplicationMessage(topic, packet, frame.HeaderLength + body.Length, publisherClientId, receivedAt);
    }

    /// <summary>
    /// Takes a copy of a packet whose fields may point into a connection's buffer (a Will) or were built
    /// in code (a $SYS topic): it is encoded once and read back from the broker's own bytes.
    /// </summary>
    public static ApplicationMessage Copy(in PublishPacket packet, string? publisherClientId)
    {
        // A QoS 1/2 PUBLISH must carry a non-zero Packet Identifier to read back [MQTT-2.2.1-3]; a Will has
        // none, and the stored copy's is never sent (each delivery gets its own).
        PublishPacket stored = packet.QoS == QualityOfService.AtMostOnce || packet.PacketId != 0 ? packet : packet with { PacketId = 1 };
        var bytes = new ArrayBufferWriter<byte>(stored.GetSize(ProtocolVersion.V500));
        stored.Write(bytes, ProtocolVersion.V500);
        var input = new ReadOnlySequence<byte>(bytes.WrittenMemory);
        if (MqttFrameReader.TryRead(input, int.MaxValue, out MqttFrame frame, out DecodeError error) != DecodeStatus.Complete
            || !PublishPacket.TryRead(frame, ProtocolVersion.V500, out PublishPacket owned, out error))
        {
            throw new InvalidOperationException($"a message the broker encoded does not read back: {error}");
        }
        return new ApplicationMessage(owned.TopicString, owned, bytes.WrittenCount, publisherClientId, Environment.TickCount64);
    }

    /// <summary>
    /// This message as published at <paramref name="now"/>: a Will's Message Expiry Interval is its lifetime from when
    /// the broker publishes it (3.1.3.2.4), not from the CONNECT that brought it.
    /// </summary>
    internal ApplicationMessage PublishedAt(long now) => new(Topic, Packet, Size, PublisherClientId, now);

    /// <summary>
    /// True once the Message Expiry Interval has passed (3.3.2.3.3). An interval of 0 is a lifetime under a second rather
    /// than none: the subscribers connected when it is published get it (with interval 0); queues and the retained store
    /// drop it a second later. Taken literally, it would reach nobody while its publisher is told it was delivered.
    /// </summary>
    public bool IsExpired(long now) =>
        Packet.Properties.MessageExpiryInterval is uint seconds && now - ReceivedAt >= Math.Max(seconds * 1000L, ShortestLifetime);

    /// <summary>What an interval of 0 means, in milliseconds.</summary>
    private const long ShortestLifetime = 1000;

    /// <summary>Remaining lifetime in whole seconds, as forwarded to subscribers [MQTT-3.3.2-6].</summary>
    public uint? RemainingExpiry(long now) => Packet.Properties.MessageExpiryInterval is uint seconds
        ? (uint)Math.Max(0, seconds - (now - ReceivedAt) / 1000)
        : null;
}
