using System.Buffers;
using Mqtt.Codec;

namespace Mqtt.Broker.Tests;

/// <summary>A packet the broker sent, copied out of the socket buffer; decoded on demand with our codec.</summary>
internal sealed class ReceivedPacket
{
    public ReceivedPacket(PacketType type, byte flags, int headerLength, byte[] body, ProtocolVersion version)
    {
        Type = type;
        Flags = flags;
        HeaderLength = headerLength;
        Body = body;
        Version = version;
    }

    public PacketType Type { get; }

    public byte Flags { get; }

    public int HeaderLength { get; }

    public byte[] Body { get; }

    public ProtocolVersion Version { get; }

    public int Size => HeaderLength + Body.Length;

    private MqttFrame Frame => new(Type, Flags, HeaderLength, new ReadOnlySequence<byte>(Body));

    public ConnAckPacket ConnAck => Decode(PacketType.ConnAck, (in MqttFrame f, out ConnAckPacket p, out DecodeError e) => ConnAckPacket.TryRead(f, Version, out p, out e));

    public PublishPacket Publish => Decode(PacketType.Publish, (in MqttFrame f, out PublishPacket p, out DecodeError e) => PublishPacket.TryRead(f, Version, out p, out e));

    public PubAckPacket PubAck => Decode(PacketType.PubAck, (in MqttFrame f, out PubAckPacket p, out DecodeError e) => PubAckPacket.TryRead(f, Version, out p, out e));

    public PubRecPacket PubRec => Decode(PacketType.PubRec, (in MqttFrame f, out PubRecPacket p, out DecodeError e) => PubRecPacket.TryRead(f, Version, out p, out e));

    public PubRelPacket PubRel => Decode(PacketType.PubRel, (in MqttFrame f, out PubRelPacket p, out DecodeError e) => PubRelPacket.TryRead(f, Version, out p, out e));

    public PubCompPacket PubComp => Decode(PacketType.PubComp, (in MqttFrame f, out PubCompPacket p, out DecodeError e) => PubCompPacket.TryRead(f, Version, out p, out e));

    public SubAckPacket SubAck => Decode(PacketType.SubAck, (in MqttFrame f, out SubAckPacket p, out DecodeError e) => SubAckPacket.TryRead(f, Version, out p, out e));

    public UnsubAckPacket UnsubAck => Decode(PacketType.UnsubAck, (in MqttFrame f, out UnsubAckPacket p, out DecodeError e) => UnsubAckPacket.TryRead(f, Version, out p, out e));

    public DisconnectPacket Disconnect => Decode(PacketType.Disconnect, (in MqttFrame f, out DisconnectPacket p, out DecodeError e) => DisconnectPacket.TryRead(f, Version, out p, out e));

    public AuthPacket Auth => Decode(PacketType.Auth, (in MqttFrame f, out AuthPacket p, out DecodeError e) => AuthPacket.TryRead(f, Version, out p, out e));

    /// <summary>The Topic Name of a PUBLISH.</summary>
    public string Topic => Publish.TopicString;

    /// <summary>The payload of a PUBLISH as UTF-8 text.</summary>
    public string PayloadText => MqttUtf8.GetString(Publish.Payload);

    /// <summary>A short description for assertion messages; never throws, even for bytes that do not decode.</summary>
    public override string ToString()
    {
        MqttFrame frame = Frame;
        return Type switch
        {
            PacketType.Publish when PublishPacket.TryRead(frame, Version, out PublishPacket p, out _) =>
                $"PUBLISH {p.TopicString} qos={(int)p.QoS} dup={p.Duplicate} retain={p.Retain} id={p.PacketId} \"{MqttUtf8.GetString(p.Payload)}\"",
            PacketType.Disconnect or PacketType.ConnAck or PacketType.Auth when Body.Length > 1 => $"{Type} [{Convert.ToHexString(Body, 0, Math.Min(Body.Length, 16))}]",
            PacketType.Disconnect when Body.Length == 1 => $"DISCONNECT 0x{Body[0]:X2}",
            _ => $"{Type} ({Body.Length} bytes)",
        };
    }

    private delegate bool Reader<T>(in MqttFrame frame, out T packet, out DecodeError error);

    private T Decode<T>(PacketType expected, Reader<T> read)
    {
        Assert.True(Type == expected, $"expected {expected}, got {Type} ({Body.Length} bytes)");
        Assert.True(read(Frame, out T packet, out DecodeError error), $"{Type} from the broker does not decode: {error}");
        return packet;
    }
}
