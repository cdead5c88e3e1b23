using System.Buffers;

namespace Mqtt.Codec;

/// <summary>UNSUBACK (section 3.11): in MQTT 5 one reason code per filter; in 3.1.1 only the Packet Identifier.</summary>
public readonly struct UnsubAckPacket : IMqttPacket
{
    /// <summary>Packet Identifier of the UNSUBSCRIBE.</summary>
    public ushort PacketId { get; init; }

    /// <summary>MQTT 5 properties (Reason String, User Properties).</summary>
    public MqttProperties Properties { get => _properties; init => _properties = value; }

    // A field rather than an auto-property so that encoding reads the large block in place instead of copying it.
    private readonly MqttProperties _properties;

    /// <summary>MQTT 5: one <see cref="ReasonCode"/> byte per filter. Not written in 3.1.1.</summary>
    public ReadOnlySequence<byte> ReasonCodes { get; init; }

    /// <summary>Decodes an UNSUBACK frame.</summary>
    public static bool TryRead(in MqttFrame frame, ProtocolVersion version, out UnsubAckPacket packet, out DecodeError error)
    {
        packet = default;
        using var body = new ContiguousBytes(frame, stackalloc byte[ContiguousBytes.ScratchSize]);
        var r = new BodyReader(frame, body.Span);
        ushort packetId = r.ReadUInt16();
        if (!r.Failed && packetId == 0)
        {
            // [MQTT-2.2.1-6] it echoes the (non-zero) Packet Identifier of the request, as PUBACK does.
            r.Fail(ReasonCode.ProtocolError, frame.HeaderLength, "[MQTT-2.2.1-6] Packet Identifier is 0");
        }
        MqttProperties properties = default;
        ReadOnlySequence<byte> codes = default;
        if (version == ProtocolVersion.V500)
        {
            properties = MqttProperties.Read(ref r, PropertyScope.UnsubAck);
            long offset = r.Offset;
            codes = r.ReadRest();
            if (!r.Failed && codes.IsEmpty)
            {
                r.Fail(ReasonCode.ProtocolError, offset, "UNSUBACK holds no Reason Code");
            }
            foreach (ReadOnlyMemory<byte> segment in codes)
            {
                foreach (byte code in segment.Span)
                {
                    if (!r.Failed && !Codec.ReasonCodes.IsValidFor(PacketType.UnsubAck, (ReasonCode)code))
                    {
                        r.Fail(ReasonCode.ProtocolError, offset, "Reason Code is not one UNSUBACK may carry");
                    }
                    offset++;
                }
            }
        }
        if (!r.ExpectEnd())
        {
            error = r.Error;
            return false;
        }
        packet = new UnsubAckPacket { PacketId = packetId, Properties = properties, ReasonCodes = codes };
        error = default;
        return true;
    }

    /// <summary>Size of the whole packet on the wire.</summary>
    public int GetSize(ProtocolVersion version) => FixedHeader.PacketSize(GetRemainingLength(version, out _));

    /// <summary>Encodes the packet.</summary>
    public void Write(IBufferWriter<byte> output, ProtocolVersion version)
    {
        long remainingLength = GetRemainingLength(version, out int propertiesLength);
        var w = PacketWriter.Begin(output, PacketType.UnsubAck, 0, remainingLength);
        w.WriteUInt16(PacketId);
        if (version == ProtocolVersion.V500)
        {
            _properties.WriteTo(ref w, propertiesLength);
            w.WriteBytes(ReasonCodes);
        }
        w.Commit();
    }

    private long GetRemainingLength(ProtocolVersion version, out int propertiesLength)
    {
        propertiesLength = version == ProtocolVersion.V500 ? _properties.GetLength() : 0;
        return version == ProtocolVersion.V500 ? 2 + MqttProperties.GetSizeWithPrefix(propertiesLength) + ReasonCodes.Length : 2;
    }
}
