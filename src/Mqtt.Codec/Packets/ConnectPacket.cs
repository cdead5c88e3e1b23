using System.Buffers;

namespace Mqtt.Codec;

/// <summary>CONNECT (section 3.1): the first packet of a connection. It fixes the protocol version for the rest.</summary>
/// <remarks>
/// Not a readonly struct only so that decoding can fill the caller's packet field by field (docs/codec.md,
/// "Performance"); every member is readonly and the properties are init-only.
/// </remarks>
public struct ConnectPacket : IMqttPacket
{
    private ReadOnlySequence<byte> _clientId;
    private MqttProperties _properties;
    private WillMessage _will;
    private ReadOnlySequence<byte> _userName;
    private ReadOnlySequence<byte> _password;
    private ushort _keepAlive;
    private ProtocolVersion _version;
    private bool _cleanStart;
    private bool _hasWill;
    private bool _hasUserName;
    private bool _hasPassword;

    /// <summary>The Protocol Name: "MQTT" since 3.1.1, "MQIsdp" in 3.1.</summary>
    private static ReadOnlySpan<byte> NameOf(ProtocolVersion version) => version == ProtocolVersion.V310 ? "MQIsdp"u8 : "MQTT"u8;

    /// <summary>Protocol Version (3.1.1: Protocol Level).</summary>
    public ProtocolVersion Version { readonly get => _version; init => _version = value; }

    /// <summary>Clean Start (3.1.1: Clean Session).</summary>
    public bool CleanStart { readonly get => _cleanStart; init => _cleanStart = value; }

    /// <summary>Keep Alive in seconds; 0 turns it off.</summary>
    public ushort KeepAlive { readonly get => _keepAlive; init => _keepAlive = value; }

    /// <summary>Client Identifier; may be empty.</summary>
    public ReadOnlySequence<byte> ClientId { readonly get => _clientId; init => _clientId = value; }

    /// <summary>MQTT 5 CONNECT properties.</summary>
    public MqttProperties Properties { readonly get => _properties; init => _properties = value; }

    /// <summary>The Will, when the Will Flag is set.</summary>
    public WillMessage? Will
    {
        readonly get => _hasWill ? _will : null;
        init
        {
            _will = value.GetValueOrDefault();
            _hasWill = value.HasValue;
        }
    }

    /// <summary>User Name, when its flag is set.</summary>
    public ReadOnlySequence<byte>? UserName
    {
        readonly get => _hasUserName ? _userName : null;
        init
        {
            _userName = value.GetValueOrDefault();
            _hasUserName = value.HasValue;
        }
    }

    /// <summary>Password (binary data), when its flag is set.</summary>
    public ReadOnlySequence<byte>? Password
    {
        readonly get => _hasPassword ? _password : null;
        init
        {
            _password = value.GetValueOrDefault();
            _hasPassword = value.HasValue;
        }
    }

    /// <summary>
    /// Decodes a CONNECT frame; the version comes from the packet itself. An unknown protocol name or
    /// version yields <see cref="ReasonCode.UnsupportedProtocolVersion"/> [MQTT-3.1.2-1] [MQTT-3.1.2-2].
    /// </summary>
    public static bool TryRead(in MqttFrame frame, out ConnectPacket packet, out DecodeError error)
    {
        using var body = new ContiguousBytes(frame, stackalloc byte[ContiguousBytes.ScratchSize]);
        var r = new BodyReader(frame, body.Span);
        // Filled in place: the packet is large enough that building it aside and copying it costs.
        packet = default;
        if (!Read(ref r, frame, ref packet))
        {
            packet = default;
            error = r.Error;
            return false;
        }
        error = default;
        return true;
    }

    private static bool Read(ref BodyReader r, in MqttFrame frame, ref ConnectPacket packet)
    {
        ReadOnlySpan<byte> name = r.ReadSpan(r.ReadUInt16());
        var version = (ProtocolVersion)r.ReadByte();
        if (!r.Failed && (version is not (ProtocolVersion.V310 or ProtocolVersion.V311 or ProtocolVersion.V500) || !name.SequenceEqual(NameOf(version))))
        {
            r.Fail(ReasonCode.UnsupportedProtocolVersion, frame.HeaderLength, "[MQTT-3.1.2-1] [MQTT-3.1.2-2] protocol name or version is not MQTT 3.1, 3.1.1 or 5.0");
        }
        long flagsOffset = r.Offset;
        byte flags = r.ReadByte();
        ushort keepAlive = r.ReadUInt16();
        if (!r.Failed)
        {
            CheckFlags(ref r, flags, version, flagsOffset);
        }
        long propertiesOffset = r.Offset;
        if (version == ProtocolVersion.V500)
        {
            MqttProperties.Read(ref r, PropertyScope.Connect, ref packet._properties);
        }
        if (!r.Failed && packet._properties.Contains(PropertyId.AuthenticationData) && !packet._properties.Contains(PropertyId.AuthenticationMethod))
        {
            r.Fail(ReasonCode.ProtocolError, propertiesOffset, "Authentication Data without an Authentication Method");
        }
        packet._clientId = r.ReadString();
        if ((flags & 0b100) != 0)
        {
            packet._will = ReadWill(ref r, flags, version);
            packet._hasWill = true;
        }
        if ((flags & 0x80) != 0)
        {
            packet._userName = r.ReadString();
            packet._hasUserName = true;
        }
        if ((flags & 0x40) != 0)
        {
            packet._password = r.ReadBinary();
            packet._hasPassword = true;
        }
        packet._version = version;
        packet._cleanStart = (flags & 0b10) != 0;
        packet._keepAlive = keepAlive;
        return r.ExpectEnd();
    }

    /// <summary>Size of the whole packet on the wire.</summary>
    public readonly int GetSize() => FixedHeader.PacketSize(GetRemainingLength(out _, out _));

    /// <summary>Encodes the packet at its own <see cref="Version"/>.</summary>
    public readonly void Write(IBufferWriter<byte> output)
    {
        long remainingLength = GetRemainingLength(out int propertiesLength, out int willPropertiesLength);
        var w = PacketWriter.Begin(output, PacketType.Connect, 0, remainingLength);
        w.WriteBinary(NameOf(_version));
        w.WriteByte((byte)_version);
        w.WriteByte(Flags);
        w.WriteUInt16(_keepAlive);
        bool v5 = _version == ProtocolVersion.V500;
        if (v5)
        {
            _properties.WriteTo(ref w, propertiesLength);
        }
        w.WriteBinary(_clientId);
        if (_hasWill)
        {
            if (v5)
            {
                _will.Properties.WriteTo(ref w, willPropertiesLength);
            }
            w.WriteBinary(_will.Topic);
            w.WriteBinary(_will.Payload);
        }
        if (_hasUserName)
        {
            w.WriteBinary(_userName);
        }
        if (_hasPassword)
        {
            w.WriteBinary(_password);
        }
        w.Commit();
    }

    private readonly byte Flags
    {
        get
        {
            int flags = (_hasUserName ? 0x80 : 0) | (_hasPassword ? 0x40 : 0) | (_cleanStart ? 0b10 : 0);
            if (_hasWill)
            {
                flags |= (_will.Retain ? 0x20 : 0) | ((int)_will.QoS << 3) | 0b100;
            }
            return (byte)flags;
        }
    }

    private readonly long GetRemainingLength(out int propertiesLength, out int willPropertiesLength)
    {
        bool v5 = _version == ProtocolVersion.V500;
        propertiesLength = v5 ? _properties.GetLength() : 0;
        willPropertiesLength = v5 && _hasWill ? _will.Properties.GetLength() : 0;
        long length = 2 + NameOf(_version).Length + 1 + 1 + 2 + 2 + _clientId.Length;
        if (v5)
        {
            length += MqttProperties.GetSizeWithPrefix(propertiesLength);
        }
        if (_hasWill)
        {
            length += 2 + _will.Topic.Length + 2 + _will.Payload.Length;
            if (v5)
            {
                length += MqttProperties.GetSizeWithPrefix(willPropertiesLength);
            }
        }
        length += _hasUserName ? 2 + _userName.Length : 0;
        length += _hasPassword ? 2 + _password.Length : 0;
        return length;
    }

    private static void CheckFlags(ref BodyReader r, byte flags, ProtocolVersion version, long offset)
    {
        bool will = (flags & 0b100) != 0;
        int willQoS = (flags >> 3) & 0b11;
        bool willRetain = (flags & 0x20) != 0;
        if ((flags & 1) != 0)
        {
            r.Fail(ReasonCode.MalformedPacket, offset, "[MQTT-3.1.2-3] reserved flag of CONNECT is set");
        }
        else if (!will && (willQoS != 0 || willRetain))
        {
            r.Fail(ReasonCode.MalformedPacket, offset, "[MQTT-3.1.2-11] [MQTT-3.1.2-13] Will QoS or Will Retain set without a Will");
        }
        else if (willQoS == 3)
        {
            r.Fail(ReasonCode.MalformedPacket, offset, "[MQTT-3.1.2-12] Will QoS is 3");
        }
        else if (version != ProtocolVersion.V500 && (flags & 0x40) != 0 && (flags & 0x80) == 0)
        {
            r.Fail(ReasonCode.MalformedPacket, offset, "[MQTT-3.1.2-22] (3.1.1) Password Flag set without User Name Flag");
        }
    }

    private static WillMessage ReadWill(ref BodyReader r, byte flags, ProtocolVersion version)
    {
        MqttProperties properties = version == ProtocolVersion.V500 ? MqttProperties.Read(ref r, PropertyScope.Will) : default;
        long topicOffset = r.Offset;
        ReadOnlySequence<byte> topic = r.ReadString();
        if (!r.Failed && (topic.IsEmpty || !MqttTopic.IsValidTopicName(topic)))
        {
            r.Fail(ReasonCode.TopicNameInvalid, topicOffset, "[MQTT-3.1.3-11] Will Topic is empty or holds a wildcard");
        }
        return new WillMessage
        {
            Properties = properties,
            Topic = topic,
            Payload = r.ReadBinary(),
            QoS = (QualityOfService)((flags >> 3) & 0b11),
            Retain = (flags & 0x20) != 0,
        };
    }

    readonly int IMqttPacket.GetSize(ProtocolVersion version) => GetSize();

    // CONNECT is written at its own Version, whatever the connection's.
    readonly void IMqttPacket.Write(IBufferWriter<byte> output, ProtocolVersion version) => Write(output);
}
