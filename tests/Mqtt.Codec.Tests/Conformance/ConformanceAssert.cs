namespace Mqtt.Codec.Tests;

/// <summary>
/// Assertions of the conformance tests. Each one also re-reads the input split at every offset and
/// requires the very same outcome, so every hand-written case doubles as a multi-segment case.
/// </summary>
public static class ConformanceAssert
{
    /// <summary>The input is refused with <paramref name="code"/>, at <paramref name="offset"/> when given.</summary>
    public static DecodeError Refused(byte[] input, ProtocolVersion version, ReasonCode code, long? offset = null)
    {
        DecodeResult result = Decode(input, version);
        Assert.True(result.Status == DecodeStatus.Invalid, $"{Hex.Of(input)} should be refused with 0x{(byte)code:x2}; got {result.Outcome}");
        Assert.True(result.Error.ReasonCode == code, $"{Hex.Of(input)}: expected 0x{(byte)code:x2}, got {result.Outcome}");
        if (offset is long expected)
        {
            Assert.True(result.Error.Offset == expected, $"{Hex.Of(input)}: expected the error at offset {expected}, got {result.Outcome}");
        }
        return result.Error;
    }

    public static DecodeError Malformed(byte[] input, ProtocolVersion version, long? offset = null) =>
        Refused(input, version, ReasonCode.MalformedPacket, offset);

    public static DecodeError ProtocolError(byte[] input, ProtocolVersion version, long? offset = null) =>
        Refused(input, version, ReasonCode.ProtocolError, offset);

    /// <summary>The input is read whole; returns the packet.</summary>
    public static T Accepted<T>(byte[] input, ProtocolVersion version)
        where T : AnyPacket
    {
        DecodeResult result = Decode(input, version);
        Assert.True(result.Status == DecodeStatus.Complete, $"{Hex.Of(input)} should be read; got {result.Outcome}");
        Assert.Equal(input.Length, result.Consumed);
        return Assert.IsType<T>(result.Packet);
    }

    private static DecodeResult Decode(byte[] input, ProtocolVersion version)
    {
        DecodeResult result = PacketDecoder.Decode(input, version);
        for (int i = 0; i <= input.Length; i++)
        {
            string split = PacketDecoder.Decode(SegmentedSequence.Split(input, i), version).Outcome;
            Assert.True(split == result.Outcome, $"{Hex.Of(input)} split at {i}: {split}\ncontiguous: {result.Outcome}");
        }
        return result;
    }
}
