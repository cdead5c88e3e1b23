using System.Buffers;

namespace Mqtt.Codec;

/// <summary>
/// CONNACK (section 3.2). 3.1.1's return codes are mapped to and from the MQTT 5 reason codes of the
/// same meaning, so one model serves both versions.
/// </summary>
public readonly struct ConnAckPacket : IMqttPacket
{
    /// <summary>Session Present flag.</summary>
    public bool SessionPresent { get; init; }

    /// <summary>Connect Reason Code (3.1.1 return code mapped to its MQTT 5 equivalent).</summary>
    public ReasonCode ReasonCode { get; init; }

    /// <summary>MQTT 5 CONNACK properties.</summary>
    public MqttProperties Properties { get => _properties; init => _properties = value; }

    // A field rather than an auto-property so that encoding reads the large block in place instead of copying it.
    private readonly MqttProperties _properties;

    /// <summary>Decodes a CONNACK frame.</summary>
    public static bool TryRead(in MqttFrame frame, ProtocolVersion version, out ConnAckPacket packet, out DecodeError error)
    {
        packet = default;
        using var body = new ContiguousBytes(frame, stackalloc byte[ContiguousBytes.ScratchSize]);
        var r = new BodyReader(frame, body.Span);
        byte flags = r.ReadByte();
        if (!r.Failed && (flags & 0xFE) != 0)
        {
            r.Fail(ReasonCode.MalformedPacket, frame.HeaderLength, "[MQTT-3.2.2-1] reserved Connect Acknowledge Flags are set");
        }
        long codeOffset = r.Offset;
        byte code = r.ReadByte();
        ReasonCode reasonCode = version == ProtocolVersion.V500 ? (ReasonCode)code : FromReturnCode(code);
        if (!r.Failed && (version == ProtocolVersion.V500 ? !ReasonCodes.IsValidFor(PacketType.ConnAck, reasonCode) : code > 5))
        {
            r.Fail(ReasonCode.ProtocolError, codeOffset, "Connect Reason Code is not one CONNACK may carry");
        }
        MqttProperties properties = version == ProtocolVersion.V500 ? MqttProperties.Read(ref r, PropertyScope.ConnAck) : default;
        if (!r.ExpectEnd())
        {
            error = r.Error;
            return false;
        }
        packet = new ConnAckPacket { SessionPresent = flags == 1, ReasonCode = reasonCode, Properties = properties };
        error = default;
        return true;
    }

    /// <summary>Size of the whole packet on the wire.</summary>
    public int GetSize(ProtocolVersion version) => FixedHeader.PacketSize(GetRemainingLength(version, out _));

    /// <summary>Encodes the packet.</summary>
    public void Write(IBufferWriter<byte> output, ProtocolVersion version)
    {
        int remainingLength = GetRemainingLength(version, out int propertiesLength);
        var w = PacketWriter.Begin(output, PacketType.ConnAck, 0, remainingLength);
        // MQTT 3.1 reserves the whole byte; Session Present came with 3.1.1.
        w.WriteByte(SessionPresent && version != ProtocolVersion.V310 ? (byte)1 : (byte)0);
        if (version == ProtocolVersion.V500)
        {
            w.WriteByte((byte)ReasonCode);
            _properties.WriteTo(ref w, propertiesLength);
        }
        else
        {
            w.WriteByte(ToReturnCode(ReasonCode));
        }
        w.Commit();
    }

    /// <summary>The 3.1.1 return code (Table 3.1) closest in meaning to an MQTT 5 reason code.</summary>
    public static byte ToReturnCode(ReasonCode reasonCode) => reasonCode switch
    {
        ReasonCode.Success => 0,
        ReasonCode.UnsupportedProtocolVersion => 1,
        ReasonCode.ClientIdentifierNotValid => 2,
        ReasonCode.BadUserNameOrPassword or ReasonCode.BadAuthenticationMethod => 4,
        ReasonCode.NotAuthorized or ReasonCode.Banned => 5,
        _ => 3,
    };

    private static ReasonCode FromReturnCode(byte code) => code switch
    {
        0 => ReasonCode.Success,
        1 => ReasonCode.UnsupportedProtocolVersion,
        2 => ReasonCode.ClientIdentifierNotValid,
        3 => ReasonCode.ServerUnavailable,
        4 => ReasonCode.BadUserNameOrPassword,
        5 => ReasonCode.NotAuthorized,
        _ => ReasonCode.UnspecifiedError,
    };

    private int GetRemainingLength(ProtocolVersion version, out int propertiesLength)
    {
        propertiesLength = version == ProtocolVersion.V500 ? _properties.GetLength() : 0;
        return version == ProtocolVersion.V500 ? 2 + MqttProperties.GetSizeWithPrefix(propertiesLength) : 2;
    }
}
