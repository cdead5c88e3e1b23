using Mqtt.Codec;

namespace Mqtt.Broker;

/// <summary>
/// An entry of a connection's write queue. Acknowledgements and PUBLISHes are encoded by the writer loop
/// from these few fields (no allocation); rare packets come already encoded.
/// </summary>
/// <param name="Type">The packet type; <see cref="PacketType.Reserved"/> for pre-encoded bytes.</param>
/// <param name="PacketId">For acknowledgements.</param>
/// <param name="ReasonCode">For acknowledgements.</param>
/// <param name="Item">The <see cref="Delivery"/> of a PUBLISH, or the encoded bytes of a rare packet.</param>
internal readonly record struct OutboundPacket(PacketType Type, ushort PacketId, ReasonCode ReasonCode, object? Item)
{
    public static OutboundPacket Encoded(byte[] bytes) => new(PacketType.Reserved, 0, ReasonCode.Success, bytes);

    /// <summary>An encoded DISCONNECT: the writer sends nothing after it [MQTT-3.14.4-1].</summary>
    public static OutboundPacket Disconnect(byte[] bytes) => new(PacketType.Disconnect, 0, ReasonCode.Success, bytes);

    public static OutboundPacket Publish(Delivery delivery) => new(PacketType.Publish, 0, ReasonCode.Success, delivery);

    public static OutboundPacket Ack(PacketType type, ushort packetId, ReasonCode reasonCode = ReasonCode.Success) => new(type, packetId, reasonCode, null);
}
