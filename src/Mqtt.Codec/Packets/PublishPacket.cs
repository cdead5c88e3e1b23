using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Mqtt.Codec;

/// <summary>PUBLISH (section 3.3): an Application Message. Topic and payload are slices of the input.</summary>
/// <remarks>
/// Not a readonly struct only so that decoding can fill the caller's packet field by field instead of building
/// a copy and moving it (docs/codec.md, "Performance"); every member is readonly and the properties are init-only.
/// </remarks>
public struct PublishPacket : IMqttPacket
{
    private ReadOnlySequence<byte> _topic;
    private ReadOnlySequence<byte> _payload;
    private MqttProperties _properties;
    private ushort _packetId;
    private QualityOfService _qos;
    private bool _retain;
    private bool _duplicate;

    /// <summary>Topic Name, UTF-8 bytes; empty in MQTT 5 when a Topic Alias stands for it.</summary>
    public ReadOnlySequence<byte> Topic { readonly get => _topic; init => _topic = value; }

    /// <summary>The Application Message.</summary>
    public ReadOnlySequence<byte> Payload { readonly get => _payload; init => _payload = value; }

    /// <summary>Delivery QoS.</summary>
    public QualityOfService QoS { readonly get => _qos; init => _qos = value; }

    /// <summary>RETAIN flag.</summary>
    public bool Retain { readonly get => _retain; init => _retain = value; }

    /// <summary>DUP flag: a re-delivery of an earlier attempt.</summary>
    public bool Duplicate { readonly get => _duplicate; init => _duplicate = value; }

    /// <summary>Packet Identifier; present only when QoS is 1 or 2.</summary>
    public ushort PacketId { readonly get => _packetId; init => _packetId = value; }

    /// <summary>MQTT 5 properties.</summary>
    public MqttProperties Properties { readonly get => _properties; init => _properties = value; }

    /// <summary>The Topic Name as a string.</summary>
    public readonly string TopicString => MqttUtf8.GetString(Topic);

    /// <summary>Decodes a PUBLISH frame.</summary>
    public static bool TryRead(in MqttFrame frame, ProtocolVersion version, out PublishPacket packet, out DecodeError error)
    {
        if (frame.TryGetBodySpan(out ReadOnlySpan<byte> body))
        {
            return TryRead(frame, body, version, out packet, out error, out _);
        }
        // Split across segments: only the variable header is copied together; the payload stays a slice.
        bool hasPacketId = (frame.Flags & 0b0110) != 0;
        using (var header = new ContiguousBytes(frame, stackalloc byte[ContiguousBytes.ScratchSize],
            VariableHeaderLength(frame.Body, hasPacketId, version == ProtocolVersion.V500)))
        {
            bool read = TryRead(frame, header.Span, version, out packet, out error, out bool ranPastCopy);
            if (read || !ranPastCopy)
            {
                return read;
            }
        }
        // A malformed property ran past its block: read the whole body to report it where a contiguous read would.
        using var whole = new ContiguousBytes(frame, stackalloc byte[ContiguousBytes.ScratchSize]);
        return TryRead(frame, whole.Span, version, out packet, out error, out _);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryRead(in MqttFrame frame, ReadOnlySpan<byte> body, ProtocolVersion version, out PublishPacket packet,
        out DecodeError error, out bool ranPastCopy)
    {
        // Filled in place: the packet is large enough that building it aside and copying it costs.
        packet = default;
        var qos = (QualityOfService)((frame.Flags >> 1) & 0b11);
        bool duplicate = (frame.Flags & 0b1000) != 0;
        var r = new BodyReader(frame, body);
        if ((int)qos == 3)
        {
            r.Fail(ReasonCode.MalformedPacket, 0, "[MQTT-3.3.1-4] QoS bits are both set");
        }
        else if (duplicate && qos == QualityOfService.AtMostOnce)
        {
            r.Fail(ReasonCode.MalformedPacket, 0, "[MQTT-3.3.1-2] DUP is set on a QoS 0 message");
        }
        long topicOffset = r.Offset;
        int topicLength = r.SkipString(checkWildcards: true, out bool topicHasWildcard);
        long packetIdOffset = r.Offset;
        ushort packetId = qos == QualityOfService.AtMostOnce ? (ushort)0 : r.ReadUInt16();
        if (qos != QualityOfService.AtMostOnce && packetId == 0)
        {
            r.Fail(ReasonCode.ProtocolError, packetIdOffset, "[MQTT-2.2.1-3] Packet Identifier is 0");
        }
        if (version == ProtocolVersion.V500)
        {
            MqttProperties.Read(ref r, PropertyScope.Publish, ref packet._properties);
        }
        if (!r.Failed && topicLength == 0 && !packet._properties.Contains(PropertyId.TopicAlias))
        {
            r.Fail(version == ProtocolVersion.V500 ? ReasonCode.ProtocolError : ReasonCode.MalformedPacket, topicOffset,
                "[MQTT-4.7.3-1] Topic Name is empty and no Topic Alias stands for it");
        }
        if (!r.Failed && topicHasWildcard)
        {
            r.Fail(ReasonCode.MalformedPacket, topicOffset, "[MQTT-3.3.2-2] Topic Name holds a wildcard");
        }
        ReadOnlySequence<byte> payload = r.ReadRest();
        ranPastCopy = r.RanPastCopy;
        if (r.Failed)
        {
            packet = default;
            error = r.Error;
            return false;
        }
        packet._topic = r.SliceAt(2, topicLength);
        packet._payload = payload;
        packet._qos = qos;
        packet._retain = (frame.Flags & 1) != 0;
        packet._duplicate = duplicate;
        packet._packetId = packetId;
        error = default;
        return true;
    }

    /// <summary>
    /// How much of a split body to copy together: Topic Name, Packet Identifier and (MQTT 5) properties, as far as
    /// their lengths say and the body holds; the reader finds any error in them.
    /// </summary>
    private static int VariableHeaderLength(in ReadOnlySequence<byte> body, bool hasPacketId, bool hasProperties)
    {
        long available = body.Length;
        if (available < 2)
        {
            return (int)available;
        }
        Span<byte> scratch = stackalloc byte[VariableByteInteger.MaxSize];
        body.Slice(0, 2).CopyTo(scratch);
        long length = 2 + BinaryPrimitives.ReadUInt16BigEndian(scratch) + (hasPacketId ? 2 : 0);
        if (hasProperties && length < available)
        {
            int size = (int)Math.Min(VariableByteInteger.MaxSize, available - length);
            body.Slice(length, size).CopyTo(scratch);
            length += VariableByteInteger.TryRead(scratch[..size], out int propertiesLength, out int read) == DecodeStatus.Complete
                ? read + propertiesLength
                : size;
        }
        return (int)Math.Min(length, available);
    }

    /// <summary>Size of the whole packet on the wire.</summary>
    public readonly int GetSize(ProtocolVersion version) => FixedHeader.PacketSize(GetRemainingLength(version, out _));

    /// <summary>Encodes the packet.</summary>
    public readonly void Write(IBufferWriter<byte> output, ProtocolVersion version)
    {
        byte flags = (byte)((_duplicate ? 0b1000 : 0) | ((int)_qos << 1) | (_retain ? 1 : 0));
        if (ArraySequence.TryGetSpan(_topic, out ReadOnlySpan<byte> topic) && ArraySequence.TryGetSpan(_payload, out ReadOnlySpan<byte> payload))
        {
            // The usual shape: each length is taken once and each part copied with one CopyTo into one span.
            int propertiesSize = _properties.GetBlockSize(version, out int length);
            long remaining = 2L + topic.Length + (_qos == QualityOfService.AtMostOnce ? 0 : 2) + propertiesSize + payload.Length;
            if (length == 0 && remaining <= PacketWriter.MaxSizeHint && topic.Length <= ushort.MaxValue)
            {
                WriteSmall(output, flags, (int)remaining, topic, payload, version);
                return;
            }
            var writer = PacketWriter.Begin(output, PacketType.Publish, flags, remaining);
            writer.WriteBinary(topic);
            WriteRest(ref writer, version, length);
            writer.WriteBytes(payload);
            writer.Commit();
            return;
        }
        long remainingLength = GetRemainingLength(version, out int propertiesLength);
        var w = PacketWriter.Begin(output, PacketType.Publish, flags, remainingLength);
        w.WriteBinary(_topic);
        WriteRest(ref w, version, propertiesLength);
        w.WriteBytes(_payload);
        w.Commit();
    }

    /// <summary>A packet without properties that fits one span: every byte placed directly.</summary>
    private readonly void WriteSmall(IBufferWriter<byte> output, byte flags, int remainingLength, ReadOnlySpan<byte> topic,
        ReadOnlySpan<byte> payload, ProtocolVersion version)
    {
        int size = 1 + VariableByteInteger.GetSize(remainingLength) + remainingLength;
        Span<byte> span = output.GetSpan(size);
        span[0] = (byte)((int)PacketType.Publish << 4 | flags);
        int i = 1 + VariableByteInteger.Write(span[1..], remainingLength);
        BinaryPrimitives.WriteUInt16BigEndian(span[i..], (ushort)topic.Length);
        i += 2;
        topic.CopyTo(span[i..]);
        i += topic.Length;
        if (_qos != QualityOfService.AtMostOnce)
        {
            BinaryPrimitives.WriteUInt16BigEndian(span[i..], _packetId);
            i += 2;
        }
        if (version == ProtocolVersion.V500)
        {
            // Property Length 0.
            span[i++] = 0;
        }
        payload.CopyTo(span[i..]);
        output.Advance(size);
    }

    /// <summary>Packet Identifier and properties, between topic and payload.</summary>
    private readonly void WriteRest(ref PacketWriter w, ProtocolVersion version, int propertiesLength)
    {
        if (_qos != QualityOfService.AtMostOnce)
        {
            w.WriteUInt16(_packetId);
        }
        if (version == ProtocolVersion.V500)
        {
            _properties.WriteTo(ref w, propertiesLength);
        }
    }

    private readonly long GetRemainingLength(ProtocolVersion version, out int propertiesLength) =>
        2 + Topic.Length + (QoS == QualityOfService.AtMostOnce ? 0 : 2) + Payload.Length + _properties.GetBlockSize(version, out propertiesLength);
}
