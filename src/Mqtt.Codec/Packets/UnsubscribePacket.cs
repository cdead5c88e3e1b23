using System.Buffers;

namespace Mqtt.Codec;

/// <summary>UNSUBSCRIBE (section 3.10): one or more Topic Filters to remove.</summary>
public readonly struct UnsubscribePacket : IMqttPacket
{
    /// <summary>Packet Identifier (non-zero).</summary>
    public ushort PacketId { get; init; }

    /// <summary>MQTT 5 properties (User Properties).</summary>
    public MqttProperties Properties { get => _properties; init => _properties = value; }

    // A field rather than an auto-property so that encoding reads the large block in place instead of copying it.
    private readonly MqttProperties _properties;

    /// <summary>The Topic Filters, at least one.</summary>
    public TopicFilterList TopicFilters { get; init; }

    /// <summary>Decodes an UNSUBSCRIBE frame; every filter is validated here.</summary>
    public static bool TryRead(in MqttFrame frame, ProtocolVersion version, out UnsubscribePacket packet, out DecodeError error)
    {
        packet = default;
        using var body = new ContiguousBytes(frame, stackalloc byte[ContiguousBytes.ScratchSize]);
        var r = new BodyReader(frame, body.Span);
        ushort packetId = r.ReadUInt16();
        if (!r.Failed && packetId == 0)
        {
            r.Fail(ReasonCode.ProtocolError, frame.HeaderLength, "[MQTT-2.2.1-3] Packet Identifier is 0");
        }
        MqttProperties properties = version == ProtocolVersion.V500 ? MqttProperties.Read(ref r, PropertyScope.Unsubscribe) : default;
        ReadOnlySequence<byte> payload = r.PeekBytes(r.Remaining);
        int count = 0;
        while (!r.Failed && r.Remaining > 0)
        {
            long offset = r.Offset;
            int filterStart = r.Consumed + 2;
            r.SkipString(checkWildcards: false, out _);
            if (!r.Failed && !MqttTopic.IsValidTopicFilter(r.SpanFrom(filterStart), version))
            {
                r.Fail(ReasonCode.MalformedPacket, offset, "[MQTT-4.7.1-1] [MQTT-4.7.1-2] Topic Filter is not valid");
            }
            count++;
        }
        if (!r.Failed && count == 0)
        {
            r.Fail(ReasonCode.ProtocolError, "[MQTT-3.10.3-2] UNSUBSCRIBE holds no Topic Filter");
        }
        if (r.Failed)
        {
            error = r.Error;
            return false;
        }
        packet = new UnsubscribePacket { PacketId = packetId, Properties = properties, TopicFilters = new TopicFilterList(payload, count) };
        error = default;
        return true;
    }

    /// <summary>Size of the whole packet on the wire.</summary>
    public int GetSize(ProtocolVersion version) => FixedHeader.PacketSize(GetRemainingLength(version, out _));

    /// <summary>Encodes the packet.</summary>
    public void Write(IBufferWriter<byte> output, ProtocolVersion version)
    {
        long remainingLength = GetRemainingLength(version, out int propertiesLength);
        var w = PacketWriter.Begin(output, PacketType.Unsubscribe, 0b0010, remainingLength);
        w.WriteUInt16(PacketId);
        if (version == ProtocolVersion.V500)
        {
            _properties.WriteTo(ref w, propertiesLength);
        }
        TopicFilters.WriteTo(ref w);
        w.Commit();
    }

    private long GetRemainingLength(ProtocolVersion version, out int propertiesLength) =>
        2 + TopicFilters.EncodedLength + _properties.GetBlockSize(version, out propertiesLength);
}
