using System.Buffers;
using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>A packet copied out of the receive buffer, for the handshake where a handler may run between packets.</summary>
internal readonly record struct OwnedFrame(PacketType Type, byte Flags, int HeaderLength, byte[] Body)
{
    public MqttFrame Frame => new(Type, Flags, HeaderLength, new ReadOnlySequence<byte>(Body));
}
