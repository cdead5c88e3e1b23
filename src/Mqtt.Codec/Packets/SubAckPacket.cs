using System.Buffers;

namespace Mqtt.Codec;

/// <summary>SUBACK (section 3.9): one reason code per Topic Filter of the SUBSCRIBE, in order.</summary>
public readonly struct SubAckPacket : IMqttPacket
{
    /// <summary>Packet Identifier of the SUBSCRIBE.</summary>
    public ushort PacketId { get; init; }

    /// <summary>MQTT 5 properties (Reason String, User Properties).</summary>
    public MqttProperties Properties { get => _properties; init => _properties = value; }

    // A field rather than an auto-property so that encoding reads the large block in place instead of copying it.
    private readonly MqttProperties _properties;

    /// <summary>One <see cref="ReasonCode"/> byte per filter. On 3.1.1, failures are written as 0x80.</summary>
    public ReadOnlySequence<byte> ReasonCodes { get; init; }

    /// <summary>Decodes a SUBACK frame.</summary>
    public static bool TryRead(in MqttFrame frame, ProtocolVersion version, out SubAckPacket packet, out DecodeError error)
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
        MqttProperties properties = version == ProtocolVersion.V500 ? MqttProperties.Read(ref r, PropertyScope.SubAck) : default;
        long codesOffset = r.Offset;
        ReadOnlySequence<byte> codes = r.ReadRest();
        if (!r.Failed && codes.IsEmpty)
        {
            r.Fail(ReasonCode.ProtocolError, codesOffset, "SUBACK holds no Reason Code");
        }
        if (!r.Failed && !AreValid(codes, version, out long bad))
        {
            r.Fail(ReasonCode.ProtocolError, codesOffset + bad, "[MQTT-3.9.3-2] Reason Code is not one SUBACK may carry");
        }
        if (r.Failed)
        {
            error = r.Error;
            return false;
        }
        packet = new SubAckPacket { PacketId = packetId, Properties = properties, ReasonCodes = codes };
        error = default;
        return true;
    }

    /// <summary>Size of the whole packet on the wire.</summary>
    public int GetSize(ProtocolVersion version) => FixedHeader.PacketSize(GetRemainingLength(version, out _));

    /// <summary>Encodes the packet.</summary>
    public void Write(IBufferWriter<byte> output, ProtocolVersion version)
    {
        long remainingLength = GetRemainingLength(version, out int propertiesLength);
        var w = PacketWriter.Begin(output, PacketType.SubAck, 0, remainingLength);
        w.WriteUInt16(PacketId);
        if (version == ProtocolVersion.V500)
        {
            _properties.WriteTo(ref w, propertiesLength);
            w.WriteBytes(ReasonCodes);
        }
        else
        {
            foreach (ReadOnlyMemory<byte> segment in ReasonCodes)
            {
                foreach (byte code in segment.Span)
                {
                    w.WriteByte(code >= 0x80 ? (byte)0x80 : code);
                }
            }
        }
        w.Commit();
    }

    private long GetRemainingLength(ProtocolVersion version, out int propertiesLength) =>
        2 + ReasonCodes.Length + _properties.GetBlockSize(version, out propertiesLength);

    private static bool AreValid(in ReadOnlySequence<byte> codes, ProtocolVersion version, out long badIndex)
    {
        badIndex = 0;
        foreach (ReadOnlyMemory<byte> segment in codes)
        {
            foreach (byte code in segment.Span)
            {
                bool valid = version == ProtocolVersion.V500
                    ? Codec.ReasonCodes.IsValidFor(PacketType.SubAck, (ReasonCode)code)
                    : code is 0x00 or 0x01 or 0x02 or 0x80;
                if (!valid)
                {
                    return false;
                }
                badIndex++;
            }
        }
        return true;
    }
}
