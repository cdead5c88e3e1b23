using System.Buffers;
using Mqtt.Codec;
using MQTTnet.Adapter;

namespace Mqtt.Benchmarks;

/// <summary>
/// One encoded packet, prepared for both decoders: as a <see cref="ReadOnlySequence{T}"/> for MqttCore (which finds
/// the frame itself) and as the <see cref="ReceivedMqttPacket"/> MQTTnet's channel adapter hands its decoder
/// (fixed header byte and body, framing already done).
/// </summary>
public sealed class WirePacket
{
    public WirePacket(byte[] bytes)
    {
        Bytes = bytes;
        Sequence = new ReadOnlySequence<byte>(bytes);
        if (MqttFrameReader.TryRead(Sequence, int.MaxValue, out MqttFrame frame, out DecodeError error) != DecodeStatus.Complete)
        {
            throw new InvalidOperationException($"sample packet does not frame: {error}");
        }
        Received = new ReceivedMqttPacket(bytes[0], new ArraySegment<byte>(bytes, frame.HeaderLength, bytes.Length - frame.HeaderLength), bytes.Length);
    }

    public byte[] Bytes { get; }

    public ReadOnlySequence<byte> Sequence { get; }

    public ReceivedMqttPacket Received { get; }

    /// <summary>Encodes with MqttCore's writer.</summary>
    public static WirePacket From(Action<IBufferWriter<byte>> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        return new WirePacket(output.WrittenSpan.ToArray());
    }
}
