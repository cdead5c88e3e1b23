using System.Diagnostics;

namespace Mqtt.Codec;

/// <summary>Size arithmetic of the fixed header (section 2.1).</summary>
internal static class FixedHeader
{
    /// <summary>Whole packet size for a Remaining Length; refuses a body too large to encode.</summary>
    public static int PacketSize(long remainingLength)
    {
        if ((ulong)remainingLength > VariableByteInteger.MaxValue)
        {
            ThrowTooLarge(remainingLength);
        }
        return 1 + VariableByteInteger.GetSize((int)remainingLength) + (int)remainingLength;
    }

    [StackTraceHidden]
    private static void ThrowTooLarge(long remainingLength) =>
        throw new InvalidOperationException($"packet body of {remainingLength} bytes exceeds the 268,435,455 that MQTT can encode");
}
