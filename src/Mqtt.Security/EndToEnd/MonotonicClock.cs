namespace Mqtt.Security.EndToEnd;

/// <summary>
/// Milliseconds from a monotonic clock, read on every message for rotation and idle checks: for the
/// system provider <see cref="Environment.TickCount64"/> (a fraction of the cost of a wall-clock read,
/// and immune to clock steps); for any other provider (tests) its timestamp.
/// </summary>
internal static class MonotonicClock
{
    public static long Milliseconds(TimeProvider time) =>
        ReferenceEquals(time, TimeProvider.System)
            ? Environment.TickCount64
            : time.GetTimestamp() / Math.Max(1, time.TimestampFrequency / 1000);
}
