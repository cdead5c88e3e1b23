using System.Buffers;

namespace Mqtt.Codec.Tests;

/// <summary>One hostile input: the bytes, where to split them into two segments, and the Maximum Packet Size to apply.</summary>
public readonly record struct HostileInput(byte[] Bytes, int Split, int MaximumPacketSize)
{
    public override string ToString() => $"{Hex.Of(Bytes)} split={Split} max={MaximumPacketSize}";
}

/// <summary>
/// What the codec may do with any input at all: return a packet, say it needs more data, or refuse it with
/// a typed error whose reason code is one of 0x81, 0x82, 0x84, 0x90, 0x94 (Topic Alias 0), 0x95 and whose offset lies in the input.
/// Anything else (an exception of any kind, another reason code, a stray offset) fails the test.
/// </summary>
public static class HostileInputInvariant
{
    private static readonly byte[] AllowedReasonCodes = [0x81, 0x82, 0x84, 0x90, 0x94, 0x95];

    public static void Check(HostileInput input)
    {
        byte[] bytes = input.Bytes;
        foreach (ProtocolVersion version in PacketGenerators.Versions)
        {
            DecodeResult whole = PacketDecoder.Decode(new ReadOnlySequence<byte>(bytes), version, input.MaximumPacketSize);
            CheckOutcome(whole, bytes, version, input.MaximumPacketSize);

            // The multi-segment path must reach the same verdict, error offset and fields included.
            int split = input.Split % (bytes.Length + 1);
            DecodeResult segmented = PacketDecoder.Decode(SegmentedSequence.Split(bytes, split), version, input.MaximumPacketSize);
            if (segmented.Outcome != whole.Outcome)
            {
                Assert.Fail($"{version}, split at {split}: contiguous gave\n{whole.Outcome}\nsegmented gave\n{segmented.Outcome}");
            }
        }
    }

    private static void CheckOutcome(DecodeResult result, byte[] bytes, ProtocolVersion version, int maximumPacketSize)
    {
        switch (result.Status)
        {
            case DecodeStatus.NeedMoreData:
                Assert.True(result.Consumed == 0 && result.ExaminedToEnd, $"{version}: NeedMoreData must consume nothing and examine everything");
                break;
            case DecodeStatus.Invalid:
                Assert.True(Array.IndexOf(AllowedReasonCodes, (byte)result.Error.ReasonCode) >= 0, $"{version}: reason code not allowed: {result.Outcome}");
                // Refused by the frame reader: nothing consumed. Refused by the packet's reader: the frame reader
                // had already consumed the whole frame, which the connection then drops with the connection.
                Assert.Equal(result.FrameLength, result.Consumed);
                Assert.False(string.IsNullOrEmpty(result.Error.Message));
                // A frame-level error points at a byte of the fixed header that is there; an error in the body
                // points inside the frame, or at its end for a field that is missing.
                long limit = result.FrameLength == 0 ? bytes.Length - 1 : result.FrameLength;
                Assert.True(result.Error.Offset >= 0 && result.Error.Offset <= limit, $"{version}: offset out of the input: {result.Outcome}");
                break;
            case DecodeStatus.Complete:
                Assert.True(result.FrameLength <= bytes.Length && result.FrameLength <= maximumPacketSize);
                Assert.Equal(result.FrameLength, result.Consumed);
                CheckRewrite(result.CompletePacket, version);
                break;
            default:
                Assert.Fail($"unknown status {result.Status}");
                break;
        }
    }

    /// <summary>Whatever was accepted can be written again, at its announced size, and reads back with equal fields.</summary>
    private static void CheckRewrite(AnyPacket packet, ProtocolVersion version)
    {
        if (packet is AnyPacket.Connect connect)
        {
            version = connect.Packet.Version;
        }
        byte[] rewritten = packet.ToBytes(version);
        Assert.Equal(packet.GetSize(version), rewritten.Length);
        PacketFields.AssertEqual(packet, PacketDecoder.Decode(rewritten, version).CompletePacket, $"{version} rewrite {Hex.Of(rewritten)}");
    }
}
