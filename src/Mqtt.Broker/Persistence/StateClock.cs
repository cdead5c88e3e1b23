namespace Mqtt.Broker;

/// <summary>
/// One moment on both clocks: the broker times sessions and messages by <see cref="Environment.TickCount64"/>, which
/// starts again at every boot, so the state file stores wall-clock instants and converts at save and load. Time the
/// broker was down then counts towards Message and Session Expiry.
/// </summary>
internal readonly record struct StateClock(long Ticks, long UnixMilliseconds)
{
    public static StateClock Now => new(Environment.TickCount64, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    /// <summary>The wall-clock instant of <paramref name="ticks"/>, a past <see cref="Environment.TickCount64"/>.</summary>
    public long ToUnixMilliseconds(long ticks) => UnixMilliseconds - (Ticks - ticks);

    /// <summary>
    /// The <see cref="Environment.TickCount64"/> of a saved instant; one in the future (the clock was set back) counts
    /// as now, so nothing lives longer than it was given.
    /// </summary>
    public long ToTicks(long unixMilliseconds) => Ticks - Math.Max(0, UnixMilliseconds - unixMilliseconds);
}
