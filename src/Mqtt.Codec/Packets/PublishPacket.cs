using System.Buffers;

namespace Mqtt.Codec;

/// <summary>PUBLISH (section 3.3): an Application Message. Topic and payload are slices of the input.</summary>
public readonly struct PublishPacket : IMqttPacket
{
    /// <summary>Topic Name, UTF-8 bytes; empty in MQTT 5 when a Topic Alias stands for it.</summary>
    public ReadOnlySequence<byte> Topic { get; init; }

    /// <summary>The Application Message.</summary>
    public ReadOnlySequence<byte> Payload { get; init; }

    /// <summary>Delivery QoS.</summary>
    public QualityOfService QoS { get; init; }

    /// <summary>RETAIN flag.</summary>
    public bool Retain { get; init; }

    /// <summary>DUP flag: a re-delivery of an earlier attempt.</summary>
    public bool Duplicate { get; init; }

    /// <summary>Packet Identifier; present only when QoS is 1 or 2.</summary>
    public ushort PacketId { get; init; }

    /// <summary>MQTT 5 properties.</summary>
    public MqttProperties Properties { get => _properties; init => _properties = value; }

    // A field rather than an auto-property so that encoding reads the large block in place instead of copying it.
    private readonly MqttProperties _properties;

    /// <summary>The Topic Name as a string.</summary>
    public string TopicString => MqttUtf8.GetString(Topic);

    /// <summary>Decodes a PUBLISH frame.</summary>
    public static bool TryRead(in MqttFrame frame, ProtocolVersion version, out PublishPacket packet, out DecodeError error)
    {
        var qos = (QualityOfService)((frame.Flags >> 1) & 0b11);
        bool duplicate = (frame.Flags & 0b1000) != 0;
        var r = new BodyReader(frame);
        if ((int)qos == 3)
        {
            r.Fail(ReasonCode.MalformedPacket, 0, "[MQTT-3.3.1-4] QoS bits are both set");
        }
        else if (duplicate && qos == QualityOfService.AtMostOnce)
        {
            r.Fail(ReasonCode.MalformedPacket, 0, "[MQTT-3.3.1-2] DUP is set on a QoS 0 message");
        }
        long topicOffset = r.Offset;
        ReadOnlySequence<byte> topic = r.ReadString();
        long packetIdOffset = r.Offset;
        ushort packetId = qos == QualityOfService.AtMostOnce ? (ushort)0 : r.ReadUInt16();
        if (qos != QualityOfService.AtMostOnce && packetId == 0)
        {
            r.Fail(ReasonCode.ProtocolError, packetIdOffset, "[MQTT-2.2.1-3] Packet Identifier is 0");
        }
        MqttProperties properties = version == ProtocolVersion.V500 ? MqttProperties.Read(ref r, PropertyScope.Publish) : default;
        if (!r.Failed && topic.IsEmpty && properties.TopicAlias is null)
        {
            r.Fail(version == ProtocolVersion.V500 ? ReasonCode.ProtocolError : ReasonCode.MalformedPacket, topicOffset,
                "[MQTT-4.7.3-1] Topic Name is empty and no Topic Alias stands for it");
        }
        if (!r.Failed && !MqttTopic.IsValidTopicName(topic))
        {
            r.Fail(ReasonCode.MalformedPacket, topicOffset, "[MQTT-3.3.2-2] Topic Name holds a wildcard");
        }
        ReadOnlySequence<byte> payload = r.ReadRest();
        if (r.Failed)
        {
            // Cleared only here: on success the packet is written once, as a whole.
            packet = default;
            error = r.Error;
            return false;
        }
        packet = new PublishPacket
        {
            Topic = topic,
            Payload = payload,
            QoS = qos,
            Retain = (frame.Flags & 1) != 0,
            Duplicate = duplicate,
            PacketId = packetId,
            Properties = properties,
        };
        error = default;
        return true;
    }

    /// <summary>Size of the whole packet on the wire.</summary>
    public int GetSize(ProtocolVersion version) => FixedHeader.PacketSize(GetRemainingLength(version, out _));

    /// <summary>Encodes the packet.</summary>
    public void Write(IBufferWriter<byte> output, ProtocolVersion version)
    {
        long remainingLength = GetRemainingLength(version, out int propertiesLength);
        byte flags = (byte)((Duplicate ? 0b1000 : 0) | ((int)QoS << 1) | (Retain ? 1 : 0));
        var w = PacketWriter.Begin(output, PacketType.Publish, flags, remainingLength);
        w.WriteBinary(Topic);
        if (QoS != QualityOfService.AtMostOnce)
        {
            w.WriteUInt16(PacketId);
        }
        if (version == ProtocolVersion.V500)
        {
            _properties.WriteTo(ref w, propertiesLength);
        }
        w.WriteBytes(Payload);
        w.Commit();
    }

    private long GetRemainingLength(ProtocolVersion version, out int propertiesLength) =>
        2 + Topic.Length + (QoS == QualityOfService.AtMostOnce ? 0 : 2) + Payload.Length + _properties.GetBlockSize(version, out propertiesLength);
}
