using System.Buffers;

namespace Mqtt.Codec.Tests;

/// <summary>What reading one packet from the start of some input gave.</summary>
/// <param name="Status">Complete (packet set), NeedMoreData, or Invalid (error set).</param>
/// <param name="Packet">The decoded packet when complete.</param>
/// <param name="Error">Why the input was refused, by the frame reader or by the packet's reader.</param>
/// <param name="FrameLength">Bytes of the packet's frame, when the frame reader found one.</param>
/// <param name="Consumed">Bytes consumed according to the Bedrock-style overload.</param>
/// <param name="ExaminedToEnd">Whether the Bedrock-style overload reported everything examined.</param>
public sealed record DecodeResult(
    DecodeStatus Status,
    AnyPacket? Packet,
    DecodeError Error,
    long FrameLength,
    long Consumed,
    bool ExaminedToEnd)
{
    /// <summary>Status, error and fields as text: equal for equal outcomes, whatever the segmentation.</summary>
    public string Outcome => Status switch
    {
        DecodeStatus.Complete => $"Complete frame={FrameLength} consumed={Consumed}\n{PacketFields.Of(Packet!)}",
        DecodeStatus.NeedMoreData => $"NeedMoreData consumed={Consumed} examinedToEnd={ExaminedToEnd}",
        _ => $"Invalid 0x{(byte)Error.ReasonCode:x2} at {Error.Offset} ({Error.Message}) frame={FrameLength}",
    };

    public AnyPacket CompletePacket => Status == DecodeStatus.Complete
        ? Packet!
        : throw new Xunit.Sdk.XunitException($"expected a packet, got {Outcome}");
}

/// <summary>
/// Decodes any packet: the frame reader (Bedrock-style overload, whose consumed/examined contract it checks
/// on the way), then the packet type's own reader chosen from the fixed header.
/// </summary>
public static class PacketDecoder
{
    /// <summary>No limit beyond what a Remaining Length can express.</summary>
    public const int NoLimit = int.MaxValue;

    public static DecodeResult Decode(byte[] input, ProtocolVersion version, int maximumPacketSize = NoLimit) =>
        Decode(new ReadOnlySequence<byte>(input), version, maximumPacketSize);

    public static DecodeResult Decode(in ReadOnlySequence<byte> input, ProtocolVersion version, int maximumPacketSize = NoLimit)
    {
        SequencePosition consumed = input.Start;
        SequencePosition examined = input.Start;
        DecodeStatus status = MqttFrameReader.TryRead(input, maximumPacketSize, ref consumed, ref examined, out MqttFrame frame, out DecodeError error);
        long consumedBytes = input.Slice(input.Start, consumed).Length;
        bool examinedToEnd = input.Slice(examined).IsEmpty;
        switch (status)
        {
            case DecodeStatus.NeedMoreData:
                return new DecodeResult(status, null, default, 0, consumedBytes, examinedToEnd);
            case DecodeStatus.Invalid:
                return new DecodeResult(status, null, error, 0, consumedBytes, examinedToEnd);
        }
        if (!TryDecodeFrame(frame, version, out AnyPacket? packet, out error))
        {
            return new DecodeResult(DecodeStatus.Invalid, null, error, frame.Length, consumedBytes, examinedToEnd);
        }
        return new DecodeResult(DecodeStatus.Complete, packet, default, frame.Length, consumedBytes, examinedToEnd);
    }

    /// <summary>Dispatches a whole frame to its packet type's reader.</summary>
    public static bool TryDecodeFrame(in MqttFrame frame, ProtocolVersion version, out AnyPacket? packet, out DecodeError error)
    {
        packet = null;
        bool ok;
        switch (frame.Type)
        {
            case PacketType.Connect:
                ok = ConnectPacket.TryRead(frame, out ConnectPacket connect, out error);
                packet = ok ? AnyPacket.Of(connect) : null;
                break;
            case PacketType.ConnAck:
                ok = ConnAckPacket.TryRead(frame, version, out ConnAckPacket connAck, out error);
                packet = ok ? AnyPacket.Of(connAck) : null;
                break;
            case PacketType.Publish:
                ok = PublishPacket.TryRead(frame, version, out PublishPacket publish, out error);
                packet = ok ? AnyPacket.Of(publish) : null;
                break;
            case PacketType.PubAck:
                ok = PubAckPacket.TryRead(frame, version, out PubAckPacket pubAck, out error);
                packet = ok ? AnyPacket.Of(pubAck) : null;
                break;
            case PacketType.PubRec:
                ok = PubRecPacket.TryRead(frame, version, out PubRecPacket pubRec, out error);
                packet = ok ? AnyPacket.Of(pubRec) : null;
                break;
            case PacketType.PubRel:
                ok = PubRelPacket.TryRead(frame, version, out PubRelPacket pubRel, out error);
                packet = ok ? AnyPacket.Of(pubRel) : null;
                break;
            case PacketType.PubComp:
                ok = PubCompPacket.TryRead(frame, version, out PubCompPacket pubComp, out error);
                packet = ok ? AnyPacket.Of(pubComp) : null;
                break;
            case PacketType.Subscribe:
                ok = SubscribePacket.TryRead(frame, version, out SubscribePacket subscribe, out error);
                packet = ok ? AnyPacket.Of(subscribe) : null;
                break;
            case PacketType.SubAck:
                ok = SubAckPacket.TryRead(frame, version, out SubAckPacket subAck, out error);
                packet = ok ? AnyPacket.Of(subAck) : null;
                break;
            case PacketType.Unsubscribe:
                ok = UnsubscribePacket.TryRead(frame, version, out UnsubscribePacket unsubscribe, out error);
                packet = ok ? AnyPacket.Of(unsubscribe) : null;
                break;
            case PacketType.UnsubAck:
                ok = UnsubAckPacket.TryRead(frame, version, out UnsubAckPacket unsubAck, out error);
                packet = ok ? AnyPacket.Of(unsubAck) : null;
                break;
            case PacketType.PingReq:
                ok = PingReqPacket.TryRead(frame, out PingReqPacket pingReq, out error);
                packet = ok ? AnyPacket.Of(pingReq) : null;
                break;
            case PacketType.PingResp:
                ok = PingRespPacket.TryRead(frame, out PingRespPacket pingResp, out error);
                packet = ok ? AnyPacket.Of(pingResp) : null;
                break;
            case PacketType.Disconnect:
                ok = DisconnectPacket.TryRead(frame, version, out DisconnectPacket disconnect, out error);
                packet = ok ? AnyPacket.Of(disconnect) : null;
                break;
            case PacketType.Auth:
                ok = AuthPacket.TryRead(frame, version, out AuthPacket auth, out error);
                packet = ok ? AnyPacket.Of(auth) : null;
                break;
            default:
                throw new InvalidOperationException($"the frame reader returned a frame of type {frame.Type}");
        }
        if (ok && error != default)
        {
            throw new Xunit.Sdk.XunitException($"{frame.Type} reader returned true but set an error: {error}");
        }
        return ok;
    }
}
