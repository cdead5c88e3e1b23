using System.Buffers;

namespace Mqtt.Codec;

/// <summary>DISCONNECT (section 3.14): in MQTT 5 from either side with a reason; in 3.1.1 from the client only, empty.</summary>
public readonly struct DisconnectPacket : IMqttPacket
{
    /// <summary>Disconnect Reason Code (MQTT 5).</summary>
    public ReasonCode ReasonCode { get; init; }

    /// <summary>MQTT 5 properties (Session Expiry Interval, Reason String, Server Reference, User Properties).</summary>
    public MqttProperties Properties { get => _properties; init => _properties = value; }

    // A field rather than an auto-property so that encoding reads the large block in place instead of copying it.
    private readonly MqttProperties _properties;

    /// <summary>Decodes a DISCONNECT frame.</summary>
    public static bool TryRead(in MqttFrame frame, ProtocolVersion version, out DisconnectPacket packet, out DecodeError error)
    {
        packet = default;
        if (version != ProtocolVersion.V500)
        {
            return EmptyPacket.TryRead(frame, out error);
        }
        using var body = new ContiguousBytes(frame, stackalloc byte[ContiguousBytes.ScratchSize]);
        var r = new BodyReader(frame, body.Span);
        ReasonCode reasonCode = ReasonCode.NormalDisconnection;
        MqttProperties properties = default;
        if (r.Remaining > 0)
        {
            reasonCode = (ReasonCode)r.ReadByte();
            if (!ReasonCodes.IsValidFor(PacketType.Disconnect, reasonCode))
            {
                r.Fail(ReasonCode.ProtocolError, frame.HeaderLength, "Reason Code is not one DISCONNECT may carry");
            }
            if (r.Remaining > 0)
            {
                properties = MqttProperties.Read(ref r, PropertyScope.Disconnect);
            }
        }
        if (!r.ExpectEnd())
        {
            error = r.Error;
            return false;
        }
        packet = new DisconnectPacket { ReasonCode = reasonCode, Properties = properties };
        error = default;
        return true;
    }

    /// <summary>Size of the whole packet on the wire.</summary>
    public int GetSize(ProtocolVersion version) => FixedHeader.PacketSize(GetRemainingLength(version, out _));

    /// <summary>Encodes the packet; Reason Code and properties are left out when they have their defaults.</summary>
    public void Write(IBufferWriter<byte> output, ProtocolVersion version)
    {
        int remainingLength = GetRemainingLength(version, out int propertiesLength);
        var w = PacketWriter.Begin(output, PacketType.Disconnect, 0, remainingLength);
        if (remainingLength > 0)
        {
            w.WriteByte((byte)ReasonCode);
        }
        if (remainingLength > 1)
        {
            _properties.WriteTo(ref w, propertiesLength);
        }
        w.Commit();
    }

    private int GetRemainingLength(ProtocolVersion version, out int propertiesLength)
    {
        propertiesLength = version == ProtocolVersion.V500 ? _properties.GetLength() : 0;
        if (version != ProtocolVersion.V500 || (ReasonCode == ReasonCode.NormalDisconnection && propertiesLength == 0))
        {
            return 0;
        }
        return propertiesLength == 0 ? 1 : 1 + MqttProperties.GetSizeWithPrefix(propertiesLength);
    }
}
