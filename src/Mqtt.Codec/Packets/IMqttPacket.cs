using System.Buffers;

namespace Mqtt.Codec;

/// <summary>
/// What every packet struct can do on the way out: say its size and write itself. Senders take it as a generic
/// constraint (<c>where T : struct, IMqttPacket</c>) so a packet is never boxed.
/// </summary>
public interface IMqttPacket
{
    /// <summary>Size of the whole packet on the wire at <paramref name="version"/>.</summary>
    int GetSize(ProtocolVersion version);

    /// <summary>Encodes the packet at <paramref name="version"/>.</summary>
    void Write(IBufferWriter<byte> output, ProtocolVersion version);
}
