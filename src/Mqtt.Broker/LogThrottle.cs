namespace Mqtt.Broker;

/// <summary>Lets a warning through at most once a minute: a flood of the same refusal must not flood the log.</summary>
internal sealed class LogThrottle
{
    private const long Period = 60_000;
    private long _lastAt = -Period;

    /// <summary>True for the first caller of each minute.</summary>
    public bool TryTake()
    {
        long now = Environment.TickCount64;
        long last = Volatile.Read(ref _lastAt);
        return now - last >= Period && Interlocked.CompareExchange(ref _lastAt, now, last) == last;
    }
}
