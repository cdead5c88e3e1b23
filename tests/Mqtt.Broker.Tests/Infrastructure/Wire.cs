using System.Buffers;
using System.Text;
using Mqtt.Codec;

namespace Mqtt.Broker.Tests;

/// <summary>Small helpers to build packets with our codec.</summary>
internal static class Wire
{
    public static ReadOnlySequence<byte> Text(string text) => new(Encoding.UTF8.GetBytes(text));

    public static byte[] Encode(in ConnectPacket packet)
    {
        var w = new ArrayBufferWriter<byte>();
        packet.Write(w);
        return w.WrittenSpan.ToArray();
    }

    public static byte[] Encode(in PublishPacket packet, ProtocolVersion version)
    {
        var w = new ArrayBufferWriter<byte>();
        packet.Write(w, version);
        return w.WrittenSpan.ToArray();
    }

    public static byte[] Encode(in SubscribePacket packet, ProtocolVersion version)
    {
        var w = new ArrayBufferWriter<byte>();
        packet.Write(w, version);
        return w.WrittenSpan.ToArray();
    }

    public static byte[] Encode(in UnsubscribePacket packet, ProtocolVersion version)
    {
        var w = new ArrayBufferWriter<byte>();
        packet.Write(w, version);
        return w.WrittenSpan.ToArray();
    }

    public static byte[] Encode(in DisconnectPacket packet, ProtocolVersion version)
    {
        var w = new ArrayBufferWriter<byte>();
        packet.Write(w, version);
        return w.WrittenSpan.ToArray();
    }

    public static byte[] Encode(in AuthPacket packet)
    {
        var w = new ArrayBufferWriter<byte>();
        packet.Write(w);
        return w.WrittenSpan.ToArray();
    }

    public static byte[] Ack(PacketType type, ushort packetId, ReasonCode reasonCode, ProtocolVersion version)
    {
        var w = new ArrayBufferWriter<byte>();
        switch (type)
        {
            case PacketType.PubAck:
                new PubAckPacket { PacketId = packetId, ReasonCode = reasonCode }.Write(w, version);
                break;
            case PacketType.PubRec:
                new PubRecPacket { PacketId = packetId, ReasonCode = reasonCode }.Write(w, version);
                break;
            case PacketType.PubRel:
                new PubRelPacket { PacketId = packetId, ReasonCode = reasonCode }.Write(w, version);
                break;
            case PacketType.PubComp:
                new PubCompPacket { PacketId = packetId, ReasonCode = reasonCode }.Write(w, version);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type));
        }
        return w.WrittenSpan.ToArray();
    }

    public static ConnectPacket Connect(string clientId, ProtocolVersion version, bool cleanStart = true, ushort keepAlive = 0,
        MqttProperties properties = default, WillMessage? will = null, string? userName = null, byte[]? password = null) => new()
        {
            Version = version,
            ClientId = Text(clientId),
            CleanStart = cleanStart,
            KeepAlive = keepAlive,
            Properties = properties,
            Will = will,
            UserName = userName is null ? null : Text(userName),
            Password = password is null ? null : new ReadOnlySequence<byte>(password),
        };

    public static WillMessage Will(string topic, string payload, QualityOfService qos = QualityOfService.AtMostOnce, bool retain = false,
        MqttProperties properties = default) => new()
        {
            Topic = Text(topic),
            Payload = Text(payload),
            QoS = qos,
            Retain = retain,
            Properties = properties,
        };

    /// <summary>The user properties of a packet as (name, value) pairs in wire order.</summary>
    public static List<(string, string)> Pairs(UserProperties properties)
    {
        var pairs = new List<(string, string)>();
        foreach (UserProperty p in properties)
        {
            pairs.Add((p.NameString, p.ValueString));
        }
        return pairs;
    }

    public static List<int> Ids(SubscriptionIdentifiers identifiers)
    {
        var ids = new List<int>();
        foreach (int id in identifiers)
        {
            ids.Add(id);
        }
        ids.Sort();
        return ids;
    }
}
