namespace Mqtt.Codec;

/// <summary>Size arithmetic of the fixed header (section 2.1).</summary>
internal static class FixedHeader
{
    /// <summary>Whole packet size for a Remaining Length; refuses a body too large to encode.</summary>
    public static int PacketSize(long remainingLength)
    {
        if (remainingLength > VariableByteInteger.MaxValue)
        {
            throw new InvalidOperationException($"packet body of {remainingLength} bytes exceeds the 268,435,455 that MQTT can encode");
        }
        return 1 + VariableByteInteger.GetSize((int)remainingLength) + (int)remainingLength;
    }
}
