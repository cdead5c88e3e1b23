using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Mqtt.Security.Hpke;

/// <summary>Throw helpers kept out of the hot paths.</summary>
internal static class HpkeThrow
{
    [DoesNotReturn]
    [StackTraceHidden]
    public static void Error(HpkeError error) => throw new HpkeException(error);

    [DoesNotReturn]
    [StackTraceHidden]
    public static void Error(HpkeError error, Exception inner) => throw new HpkeException(error, inner);

    [DoesNotReturn]
    [StackTraceHidden]
    public static void DestinationTooSmall(string paramName) =>
        throw new ArgumentException("Destination buffer is too small.", paramName);
}
