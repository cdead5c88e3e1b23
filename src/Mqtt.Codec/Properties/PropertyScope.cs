namespace Mqtt.Codec;

/// <summary>
/// Where a property block sits: one bit per packet type (bit n = <see cref="PacketType"/> n) and, in the
/// bit of the reserved type 0, the Will Properties of CONNECT.
/// </summary>
[Flags]
internal enum PropertyScope : ushort
{
    None = 0,
    Will = 1 << 0,
    Connect = 1 << PacketType.Connect,
    ConnAck = 1 << PacketType.ConnAck,
    Publish = 1 << PacketType.Publish,
    PubAck = 1 << PacketType.PubAck,
    PubRec = 1 << PacketType.PubRec,
    PubRel = 1 << PacketType.PubRel,
    PubComp = 1 << PacketType.PubComp,
    Subscribe = 1 << PacketType.Subscribe,
    SubAck = 1 << PacketType.SubAck,
    Unsubscribe = 1 << PacketType.Unsubscribe,
    UnsubAck = 1 << PacketType.UnsubAck,
    Disconnect = 1 << PacketType.Disconnect,
    Auth = 1 << PacketType.Auth,
}
