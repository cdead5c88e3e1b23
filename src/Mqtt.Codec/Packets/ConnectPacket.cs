using System.Buffers;

namespace Mqtt.Codec;

/// <summary>CONNECT (section 3.1): the first packet of a connection. It fixes the protocol version for the rest.</summary>
public readonly struct ConnectPacket : IMqttPacket
{
    private static ReadOnlySpan<byte> ProtocolName => "MQTT"u8;

    /// <summary>Protocol Version (3.1.1: Protocol Level).</summary>
    public ProtocolVersion Version { get; init; }

    /// <summary>Clean Start (3.1.1: Clean Session).</summary>
    public bool CleanStart { get; init; }

    /// <summary>Keep Alive in seconds; 0 turns it off.</summary>
    public ushort KeepAlive { get; init; }

    /// <summary>Client Identifier; may be empty.</summary>
    public ReadOnlySequence<byte> ClientId { get; init; }

    /// <summary>MQTT 5 CONNECT properties.</summary>
    public MqttProperties Properties { get => _properties; init => _properties = value; }

    // A field rather than an auto-property so that encoding reads the large block in place instead of copying it.
    private readonly MqttProperties _properties;

    /// <summary>The Will, when the Will Flag is set.</summary>
    public WillMessage? Will { get; init; }

    /// <summary>User Name, when its flag is set.</summary>
    public ReadOnlySequence<byte>? UserName { get; init; }

    /// <summary>Password (binary data), when its flag is set.</summary>
    public ReadOnlySequence<byte>? Password { get; init; }

    /// <summary>
    /// Decodes a CONNECT frame; the version comes from the packet itself. An unknown protocol name or
    /// version yields <see cref="ReasonCode.UnsupportedProtocolVersion"/> [MQTT-3.1.2-1] [MQTT-3.1.2-2].
    /// </summary>
    public static bool TryRead(in MqttFrame frame, out ConnectPacket packet, out DecodeError error)
    {
        using var body = new ContiguousBytes(frame, stackalloc byte[ContiguousBytes.ScratchSize]);
        var r = new BodyReader(frame, body.Span);
        ReadOnlySequence<byte> name = r.ReadBinary();
        var version = (ProtocolVersion)r.ReadByte();
        if (!r.Failed && (!IsProtocolName(name) || version is not (ProtocolVersion.V311 or ProtocolVersion.V500)))
        {
            r.Fail(ReasonCode.UnsupportedProtocolVersion, frame.HeaderLength, "[MQTT-3.1.2-1] [MQTT-3.1.2-2] protocol name or version is not MQTT 3.1.1 or 5.0");
        }
        long flagsOffset = r.Offset;
        byte flags = r.ReadByte();
        ushort keepAlive = r.ReadUInt16();
        if (!r.Failed)
        {
            CheckFlags(ref r, flags, version, flagsOffset);
        }
        long propertiesOffset = r.Offset;
        MqttProperties properties = version == ProtocolVersion.V500 ? MqttProperties.Read(ref r, PropertyScope.Connect) : default;
        if (!r.Failed && properties.Contains(PropertyId.AuthenticationData) && !properties.Contains(PropertyId.AuthenticationMethod))
        {
            r.Fail(ReasonCode.ProtocolError, propertiesOffset, "Authentication Data without an Authentication Method");
        }
        ReadOnlySequence<byte> clientId = r.ReadString();
        WillMessage? will = (flags & 0b100) != 0 ? ReadWill(ref r, flags, version) : null;
        ReadOnlySequence<byte>? userName = (flags & 0x80) != 0 ? r.ReadString() : null;
        ReadOnlySequence<byte>? password = (flags & 0x40) != 0 ? r.ReadBinary() : null;
        if (!r.ExpectEnd())
        {
            // Cleared only here: on success the packet is written once, as a whole.
            packet = default;
            error = r.Error;
            return false;
        }
        packet = new ConnectPacket
        {
            Version = version,
            CleanStart = (flags & 0b10) != 0,
            KeepAlive = keepAlive,
            ClientId = clientId,
            Properties = properties,
            Will = will,
            UserName = userName,
            Password = password,
        };
        error = default;
        return true;
    }

    /// <summary>Size of the whole packet on the wire.</summary>
    public int GetSize() => FixedHeader.PacketSize(GetRemainingLength(out _, out _));

    /// <summary>Encodes the packet at its own <see cref="Version"/>.</summary>
    public void Write(IBufferWriter<byte> output)
    {
        long remainingLength = GetRemainingLength(out int propertiesLength, out int willPropertiesLength);
        var w = PacketWriter.Begin(output, PacketType.Connect, 0, remainingLength);
        w.WriteUInt16((ushort)ProtocolName.Length);
        w.WriteBytes(ProtocolName);
        w.WriteByte((byte)Version);
        w.WriteByte(Flags);
        w.WriteUInt16(KeepAlive);
        bool v5 = Version == ProtocolVersion.V500;
        if (v5)
        {
            _properties.WriteTo(ref w, propertiesLength);
        }
        w.WriteBinary(ClientId);
        if (Will is WillMessage will)
        {
            if (v5)
            {
                will.Properties.WriteTo(ref w, willPropertiesLength);
            }
            w.WriteBinary(will.Topic);
            w.WriteBinary(will.Payload);
        }
        if (UserName is ReadOnlySequence<byte> userName)
        {
            w.WriteBinary(userName);
        }
        if (Password is ReadOnlySequence<byte> password)
        {
            w.WriteBinary(password);
        }
        w.Commit();
    }

    private byte Flags
    {
        get
        {
            int flags = (UserName is null ? 0 : 0x80) | (Password is null ? 0 : 0x40) | (CleanStart ? 0b10 : 0);
            if (Will is WillMessage will)
            {
                flags |= (will.Retain ? 0x20 : 0) | ((int)will.QoS << 3) | 0b100;
            }
            return (byte)flags;
        }
    }

    private long GetRemainingLength(out int propertiesLength, out int willPropertiesLength)
    {
        bool v5 = Version == ProtocolVersion.V500;
        propertiesLength = v5 ? _properties.GetLength() : 0;
        willPropertiesLength = v5 && Will is WillMessage w ? w.Properties.GetLength() : 0;
        long length = 2 + ProtocolName.Length + 1 + 1 + 2 + 2 + ClientId.Length;
        if (v5)
        {
            length += MqttProperties.GetSizeWithPrefix(propertiesLength);
        }
        if (Will is WillMessage will)
        {
            length += 2 + will.Topic.Length + 2 + will.Payload.Length;
            if (v5)
            {
                length += MqttProperties.GetSizeWithPrefix(willPropertiesLength);
            }
        }
        length += UserName is ReadOnlySequence<byte> u ? 2 + u.Length : 0;
        length += Password is ReadOnlySequence<byte> p ? 2 + p.Length : 0;
        return length;
    }

    private static bool IsProtocolName(in ReadOnlySequence<byte> name) => name.IsSingleSegment
        ? name.FirstSpan.SequenceEqual(ProtocolName)
        : name.Length == ProtocolName.Length && MqttUtf8.GetString(name) == "MQTT";

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
        else if (version == ProtocolVersion.V311 && (flags & 0x40) != 0 && (flags & 0x80) == 0)
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

    int IMqttPacket.GetSize(ProtocolVersion version) => GetSize();

    // CONNECT is written at its own Version, whatever the connection's.
    void IMqttPacket.Write(IBufferWriter<byte> output, ProtocolVersion version) => Write(output);
}
