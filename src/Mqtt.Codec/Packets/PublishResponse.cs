using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Mqtt.Codec;

/// <summary>
/// The shared wire form of PUBACK, PUBREC, PUBREL and PUBCOMP (sections 3.4-3.7): Packet Identifier, then in
/// MQTT 5 an optional Reason Code and optional properties, each left out when it has its default.
/// </summary>
internal static class PublishResponse
{
    /// <summary>Reads the fields; <paramref name="properties"/> is empty on entry, and the caller clears everything on failure.</summary>
    public static bool TryRead(in MqttFrame frame, ProtocolVersion version, out ushort packetId, out ReasonCode reasonCode,
        ref MqttProperties properties, out DecodeError error)
    {
        if (frame.TryGetShortBody(out uint body) && IsShortValid(frame, version, body))
        {
            packetId = (ushort)(body >> 16);
            reasonCode = frame.BodyLength > 2 ? (ReasonCode)(byte)(body >> 8) : ReasonCode.Success;
            error = default;
            return true;
        }
        return TryReadAny(frame, version, out packetId, out reasonCode, ref properties, out error);
    }

    /// <summary>
    /// The forms without properties, whole in the frame: Packet Identifier, in MQTT 5 then a Reason Code and a
    /// Property Length of 0. Only valid ones are taken here; anything else goes the long way, which says what is wrong.
    /// </summary>
    private static bool IsShortValid(in MqttFrame frame, ProtocolVersion version, uint body) => frame.BodyLength switch
    {
        2 => body >> 16 != 0,
        3 => version == ProtocolVersion.V500 && body >> 16 != 0 && ReasonCodes.IsValidFor(frame.Type, (ReasonCode)(byte)(body >> 8)),
        4 => version == ProtocolVersion.V500 && body >> 16 != 0 && ReasonCodes.IsValidFor(frame.Type, (ReasonCode)(byte)(body >> 8))
            && (byte)body == 0,
        _ => false,
    };

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryReadAny(in MqttFrame frame, ProtocolVersion version, out ushort packetId, out ReasonCode reasonCode,
        ref MqttProperties properties, out DecodeError error)
    {
        using var body = new ContiguousBytes(frame, stackalloc byte[ContiguousBytes.ScratchSize]);
        var r = new BodyReader(frame, body.Span);
        packetId = r.ReadUInt16();
        reasonCode = ReasonCode.Success;
        if (!r.Failed && packetId == 0)
        {
            r.Fail(ReasonCode.ProtocolError, frame.HeaderLength, "[MQTT-2.2.1-5] Packet Identifier is 0");
        }
        if (version == ProtocolVersion.V500 && r.Remaining > 0)
        {
            reasonCode = (ReasonCode)r.ReadByte();
            if (!ReasonCodes.IsValidFor(frame.Type, reasonCode))
            {
                r.Fail(ReasonCode.ProtocolError, r.Offset - 1, "Reason Code is not one this packet may carry");
            }
            if (r.Remaining > 0)
            {
                MqttProperties.Read(ref r, PropertyTable.ScopeOf(frame.Type), ref properties);
            }
        }
        r.ExpectEnd();
        error = r.Error;
        return !r.Failed;
    }

    public static int GetSize(ProtocolVersion version, ReasonCode reasonCode, in MqttProperties properties) =>
        FixedHeader.PacketSize(GetRemainingLength(version, reasonCode, properties, out _));

    public static void Write(IBufferWriter<byte> output, ProtocolVersion version, PacketType type, ushort packetId,
        ReasonCode reasonCode, in MqttProperties properties)
    {
        byte flags = type == PacketType.PubRel ? (byte)0b0010 : (byte)0;
        if (version != ProtocolVersion.V500 || (reasonCode == ReasonCode.Success && properties.IsEmpty))
        {
            // [MQTT-3.4.2-1] the short form: fixed header and Packet Identifier, four bytes.
            Span<byte> span = output.GetSpan(4);
            span[0] = (byte)((int)type << 4 | flags);
            span[1] = 2;
            BinaryPrimitives.WriteUInt16BigEndian(span[2..], packetId);
            output.Advance(4);
            return;
        }
        int remainingLength = GetRemainingLength(version, reasonCode, properties, out int propertiesLength);
        var w = PacketWriter.Begin(output, type, flags, remainingLength);
        w.WriteUInt16(packetId);
        if (remainingLength > 2)
        {
            w.WriteByte((byte)reasonCode);
        }
        if (remainingLength > 3)
        {
            properties.WriteTo(ref w, propertiesLength);
        }
        w.Commit();
    }

    // [MQTT-3.4.2-1] The Reason Code and Property Length can be omitted when 0x00 and no properties.
    private static int GetRemainingLength(ProtocolVersion version, ReasonCode reasonCode, in MqttProperties properties, out int propertiesLength)
    {
        propertiesLength = version == ProtocolVersion.V500 ? properties.GetLength() : 0;
        if (version != ProtocolVersion.V500 || (reasonCode == ReasonCode.Success && propertiesLength == 0))
        {
            return 2;
        }
        return propertiesLength == 0 ? 3 : 3 + MqttProperties.GetSizeWithPrefix(propertiesLength);
    }
}
