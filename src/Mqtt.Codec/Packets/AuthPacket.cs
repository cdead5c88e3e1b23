using System.Buffers;

namespace Mqtt.Codec;

/// <summary>AUTH (section 3.15, MQTT 5 only): a step of enhanced authentication or re-authentication.</summary>
public readonly struct AuthPacket : IMqttPacket
{
    /// <summary>Success, Continue authentication (0x18) or Re-authenticate (0x19).</summary>
    public ReasonCode ReasonCode { get; init; }

    /// <summary>Properties: Authentication Method and Data, Reason String, User Properties.</summary>
    public MqttProperties Properties { get => _properties; init => _properties = value; }

    // A field rather than an auto-property so that encoding reads the large block in place instead of copying it.
    private readonly MqttProperties _properties;

    /// <summary>
    /// Decodes an AUTH frame. In 3.1.1 type 15 is reserved, so it is malformed there. An AUTH with a Reason Code
    /// must name its Authentication Method (3.15.2.2.2); only the empty Success form (3.15.2.1) has none.
    /// </summary>
    public static bool TryRead(in MqttFrame frame, ProtocolVersion version, out AuthPacket packet, out DecodeError error)
    {
        packet = default;
        using var body = new ContiguousBytes(frame, stackalloc byte[ContiguousBytes.ScratchSize]);
        var r = new BodyReader(frame, body.Span);
        if (version != ProtocolVersion.V500)
        {
            r.Fail(ReasonCode.MalformedPacket, 0, "packet type 15 is reserved in MQTT 3.1.1");
        }
        ReasonCode reasonCode = ReasonCode.Success;
        MqttProperties properties = default;
        if (!r.Failed && r.Remaining > 0)
        {
            reasonCode = (ReasonCode)r.ReadByte();
            if (!ReasonCodes.IsValidFor(PacketType.Auth, reasonCode))
            {
                r.Fail(ReasonCode.ProtocolError, frame.HeaderLength, "Reason Code is not one AUTH may carry");
            }
            long propertiesOffset = r.Offset;
            properties = MqttProperties.Read(ref r, PropertyScope.Auth);
            // 3.15.2.2.2: only the two-byte short form (Success, no properties) may leave the method out.
            if (!r.Failed && !properties.Contains(PropertyId.AuthenticationMethod))
            {
                r.Fail(ReasonCode.ProtocolError, propertiesOffset, "AUTH without an Authentication Method");
            }
        }
        if (!r.ExpectEnd())
        {
            error = r.Error;
            return false;
        }
        packet = new AuthPacket { ReasonCode = reasonCode, Properties = properties };
        error = default;
        return true;
    }

    /// <summary>Size of the whole packet on the wire.</summary>
    public int GetSize() => FixedHeader.PacketSize(GetRemainingLength(out _));

    /// <summary>Encodes the packet; an AUTH with Success and no properties is two bytes (3.15.2.1).</summary>
    public void Write(IBufferWriter<byte> output)
    {
        int remainingLength = GetRemainingLength(out int propertiesLength);
        var w = PacketWriter.Begin(output, PacketType.Auth, 0, remainingLength);
        if (remainingLength > 0)
        {
            w.WriteByte((byte)ReasonCode);
            _properties.WriteTo(ref w, propertiesLength);
        }
        w.Commit();
    }

    private int GetRemainingLength(out int propertiesLength)
    {
        propertiesLength = _properties.GetLength();
        return ReasonCode == ReasonCode.Success && propertiesLength == 0 ? 0 : 1 + MqttProperties.GetSizeWithPrefix(propertiesLength);
    }

    int IMqttPacket.GetSize(ProtocolVersion version) => GetSize();

    void IMqttPacket.Write(IBufferWriter<byte> output, ProtocolVersion version) => Write(output);
}
