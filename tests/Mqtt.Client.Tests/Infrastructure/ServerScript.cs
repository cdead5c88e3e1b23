using System.Buffers;
using Mqtt.Codec;

namespace Mqtt.Client.Tests;

/// <summary>
/// What a generated server does: writes the head of <see cref="Stream"/> (the CONNACK, as generated), waits for the
/// client's requests, writes the tail, then half-closes or closes.
/// </summary>
public sealed record ServerScript(byte[] Stream, int HeadLength)
{
    public bool CloseAbruptly { get; init; }

    /// <summary>The application acknowledges nothing, so the server's QoS 1 and 2 messages count against Receive Maximum.</summary>
    public bool ManualAcknowledgement { get; init; }

    public ReadOnlyMemory<byte> Head => Stream.AsMemory(0, HeadLength);

    public ReadOnlyMemory<byte> Tail => Stream.AsMemory(HeadLength);

    /// <summary>The head holds a whole packet, or a broken one: the handshake ends without the tail.</summary>
    public bool HeadEndsHandshake(int maximumPacketSize) =>
        MqttFrameReader.TryRead(new ReadOnlySequence<byte>(Head), maximumPacketSize, out _, out _) != DecodeStatus.NeedMoreData;

    /// <summary>The head is one whole packet and no more: everything after it arrives once the client's requests are made.</summary>
    public bool HeadIsOnePacket(int maximumPacketSize)
    {
        var head = new ReadOnlySequence<byte>(Head);
        return MqttFrameReader.TryRead(head, maximumPacketSize, out MqttFrame frame, out _) == DecodeStatus.Complete
            && MqttFrameReader.TryRead(head.Slice(frame.Length), maximumPacketSize, out _, out _) == DecodeStatus.NeedMoreData;
    }

    public override string ToString() =>
        $"{(CloseAbruptly ? "closed" : "half-closed")}, {(ManualAcknowledgement ? "manual" : "automatic")} acknowledgement, " +
        $"head {HeadLength} of {Stream.Length} bytes: {Convert.ToHexString(Stream)}";
}
