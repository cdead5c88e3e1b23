using System.Diagnostics;

namespace Mqtt.Cli.Bench;

/// <summary>
/// The measured window in Stopwatch ticks, fixed before the publishers start: [now + warmup, + duration). A message
/// is counted when its publisher stamps it inside the window; publishers stop at <see cref="End"/>, which Ctrl+C
/// brings forward.
/// </summary>
public sealed class MeasurementWindow
{
    private long _end;

    public MeasurementWindow(TimeSpan warmup, TimeSpan duration)
    {
        Start = Stopwatch.GetTimestamp() + ToTicks(warmup);
        _end = Start + ToTicks(duration);
    }

    public long Start { get; }

    public long End => Volatile.Read(ref _end);

    /// <summary>The window's length (0 when stopped during the warmup).</summary>
    public TimeSpan Duration => Stopwatch.GetElapsedTime(Start, Math.Max(Start, End));

    public bool IsCounted(long timestamp) => timestamp >= Start;

    /// <summary>Ends the window now (Ctrl+C).</summary>
    public void StopNow()
    {
        long now = Stopwatch.GetTimestamp();
        long end = Volatile.Read(ref _end);
        while (now < end)
        {
            long seen = Interlocked.CompareExchange(ref _end, now, end);
            if (seen == end)
            {
                return;
            }
            end = seen;
        }
    }

    public static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
