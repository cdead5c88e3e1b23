using System.Buffers;
using Mqtt.Codec;

namespace Mqtt.Client;

// Adapters from the codec's packet structs to IOutgoingPacket.

internal readonly record struct ConnectOut(ConnectPacket Packet) : IOutgoingPacket
{
    public int GetSize(ProtocolVersion version) => Packet.GetSize();

    public void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output);
}

internal readonly record struct PubAckOut(PubAckPacket Packet) : IOutgoingPacket
{
    public int GetSize(ProtocolVersion version) => Packet.GetSize(version);

    public void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output, version);
}

internal readonly record struct PubRecOut(PubRecPacket Packet) : IOutgoingPacket
{
    public int GetSize(ProtocolVersion version) => Packet.GetSize(version);

    public void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output, version);
}

internal readonly record struct PubRelOut(PubRelPacket Packet) : IOutgoingPacket
{
    public int GetSize(ProtocolVersion version) => Packet.GetSize(version);

    public void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output, version);
}

internal readonly record struct PubCompOut(PubCompPacket Packet) : IOutgoingPacket
{
    public int GetSize(ProtocolVersion version) => Packet.GetSize(version);

    public void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output, version);
}

internal readonly record struct SubscribeOut(SubscribePacket Packet) : IOutgoingPacket
{
    public int GetSize(ProtocolVersion version) => Packet.GetSize(version);

    public void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output, version);
}

internal readonly record struct UnsubscribeOut(UnsubscribePacket Packet) : IOutgoingPacket
{
    public int GetSize(ProtocolVersion version) => Packet.GetSize(version);

    public void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output, version);
}

internal readonly record struct DisconnectOut(DisconnectPacket Packet) : IOutgoingPacket
{
    public int GetSize(ProtocolVersion version) => Packet.GetSize(version);

    public void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output, version);
}

internal readonly record struct AuthOut(AuthPacket Packet) : IOutgoingPacket
{
    public int GetSize(ProtocolVersion version) => Packet.GetSize();

    public void Write(IBufferWriter<byte> output, ProtocolVersion version) => Packet.Write(output);
}

internal readonly struct PingReqOut : IOutgoingPacket
{
    public int GetSize(ProtocolVersion version) => PingReqPacket.Size;

    public void Write(IBufferWriter<byte> output, ProtocolVersion version) => default(PingReqPacket).Write(output);
}
