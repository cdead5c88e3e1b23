using System.Buffers;

namespace Mqtt.Codec;

/// <summary>SUBSCRIBE (section 3.8): one or more Topic Filters with their options.</summary>
/// <remarks>Not a readonly struct only so that decoding can fill the caller's packet in place; every member is readonly.</remarks>
public struct SubscribePacket : IMqttPacket
{
    private MqttProperties _properties;
    private SubscriptionList _subscriptions;
    private ushort _packetId;

    /// <summary>Packet Identifier (non-zero).</summary>
    public ushort PacketId { readonly get => _packetId; init => _packetId = value; }

    /// <summary>MQTT 5 properties (Subscription Identifier, User Properties).</summary>
    public MqttProperties Properties { readonly get => _properties; init => _properties = value; }

    /// <summary>The subscriptions, at least one.</summary>
    public SubscriptionList Subscriptions { readonly get => _subscriptions; init => _subscriptions = value; }

    /// <summary>Decodes a SUBSCRIBE frame; every filter and options byte is validated here.</summary>
    public static bool TryRead(in MqttFrame frame, ProtocolVersion version, out SubscribePacket packet, out DecodeError error)
    {
        using var body = new ContiguousBytes(frame, stackalloc byte[ContiguousBytes.ScratchSize]);
        var r = new BodyReader(frame, body.Span);
        packet = default;
        ushort packetId = r.ReadUInt16();
        if (!r.Failed && packetId == 0)
        {
            r.Fail(ReasonCode.ProtocolError, frame.HeaderLength, "[MQTT-2.2.1-3] Packet Identifier is 0");
        }
        if (version == ProtocolVersion.V500)
        {
            MqttProperties.Read(ref r, PropertyScope.Subscribe, ref packet._properties);
        }
        int payloadStart = r.Consumed;
        int count = 0;
        while (!r.Failed && r.Remaining > 0)
        {
            ReadEntry(ref r, version);
            count++;
        }
        if (!r.Failed && count == 0)
        {
            r.Fail(ReasonCode.ProtocolError, "[MQTT-3.8.3-2] SUBSCRIBE holds no Topic Filter");
        }
        if (r.Failed)
        {
            packet = default;
            error = r.Error;
            return false;
        }
        packet._packetId = packetId;
        packet._subscriptions = new SubscriptionList(r.SliceAt(payloadStart, r.Consumed - payloadStart), count);
        error = default;
        return true;
    }

    /// <summary>Size of the whole packet on the wire.</summary>
    public readonly int GetSize(ProtocolVersion version) => FixedHeader.PacketSize(GetRemainingLength(version, out _));

    /// <summary>Encodes the packet.</summary>
    public readonly void Write(IBufferWriter<byte> output, ProtocolVersion version)
    {
        long remainingLength = GetRemainingLength(version, out int propertiesLength);
        var w = PacketWriter.Begin(output, PacketType.Subscribe, 0b0010, remainingLength);
        w.WriteUInt16(PacketId);
        if (version == ProtocolVersion.V500)
        {
            _properties.WriteTo(ref w, propertiesLength);
        }
        Subscriptions.WriteTo(ref w, version);
        w.Commit();
    }

    private readonly long GetRemainingLength(ProtocolVersion version, out int propertiesLength) =>
        2 + Subscriptions.EncodedLength + _properties.GetBlockSize(version, out propertiesLength);

    private static void ReadEntry(ref BodyReader r, ProtocolVersion version)
    {
        long filterOffset = r.Offset;
        int filterStart = r.Consumed + 2;
        r.SkipString(checkWildcards: false, out _);
        ReadOnlySpan<byte> filter = r.Failed ? default : r.SpanFrom(filterStart);
        if (!r.Failed && !MqttTopic.IsValidTopicFilter(filter, version))
        {
            r.Fail(ReasonCode.MalformedPacket, filterOffset, "[MQTT-4.7.1-1] [MQTT-4.7.1-2] [MQTT-4.8.2-1] Topic Filter is not valid");
        }
        long optionsOffset = r.Offset;
        byte options = r.ReadByte();
        if (r.Failed)
        {
            return;
        }
        if (version != ProtocolVersion.V500)
        {
            if ((options & 0xFC) != 0 || (options & 0b11) == 3)
            {
                r.Fail(ReasonCode.MalformedPacket, optionsOffset, "[MQTT-3.8.3-4] (3.1.1) Requested QoS is 3 or reserved bits are set");
            }
            return;
        }
        if ((options & 0xC0) != 0)
        {
            r.Fail(ReasonCode.MalformedPacket, optionsOffset, "[MQTT-3.8.3-5] reserved bits of Subscription Options are set");
        }
        else if ((options & 0b11) == 3)
        {
            // 3.8.3.1: unlike the reserved bits, a Maximum QoS of 3 is a Protocol Error in MQTT 5.
            r.Fail(ReasonCode.ProtocolError, optionsOffset, "Maximum QoS of a subscription is 3");
        }
        else if ((options >> 4 & 0b11) == 3)
        {
            r.Fail(ReasonCode.ProtocolError, optionsOffset, "Retain Handling is 3");
        }
        else if ((options & 0b100) != 0 && MqttTopic.IsShared(filter))
        {
            r.Fail(ReasonCode.ProtocolError, optionsOffset, "[MQTT-3.8.3-4] No Local is set on a Shared Subscription");
        }
    }
}
