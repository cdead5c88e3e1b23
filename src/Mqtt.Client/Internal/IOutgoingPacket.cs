using System.Buffers;
using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>A packet the write path can size and encode; implemented by small structs so that generic sends never box.</summary>
internal interface IOutgoingPacket
{
    int GetSize(ProtocolVersion version);

    void Write(IBufferWriter<byte> output, ProtocolVersion version);
}
