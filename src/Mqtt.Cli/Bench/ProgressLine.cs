using System.Diagnostics;
using System.Globalization;

namespace Mqtt.Cli.Bench;

/// <summary>The once-a-second progress line on stderr: rates since the previous line, and losses so far.</summary>
public sealed class ProgressLine
{
    private readonly TextWriter? _error;
    private readonly string _scenario;
    private long _lastTimestamp = Stopwatch.GetTimestamp();
    private long _lastSent;
    private long _lastDone;

    /// <param name="error">Where to write; null for --quiet.</param>
    public ProgressLine(TextWriter? error, string scenario)
    {
        _error = error;
        _scenario = scenario;
    }

    /// <summary>Writes a line for message scenarios: sent/s, delivered/s and messages missing behind the newest received.</summary>
    public void Messages(string phase, long sent, long delivered, long lost)
    {
        if (_error is null)
        {
            return;
        }
        double seconds = Elapsed();
        _error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bench {_scenario} [{phase}]: sent {(sent - _lastSent) / seconds:0}/s, delivered {(delivered - _lastDone) / seconds:0}/s, lost so far {lost}"));
        _lastSent = sent;
        _lastDone = delivered;
    }

    /// <summary>Writes a line for connection scenarios.</summary>
    public void Connections(string phase, long connected, long failed, long open)
    {
        if (_error is null)
        {
            return;
        }
        double seconds = Elapsed();
        _error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bench {_scenario} [{phase}]: {(connected - _lastDone) / seconds:0} connects/s, {connected} connected, {failed} failed, {open} open"));
        _lastDone = connected;
    }

    private double Elapsed()
    {
        long now = Stopwatch.GetTimestamp();
        double seconds = Math.Max(Stopwatch.GetElapsedTime(_lastTimestamp, now).TotalSeconds, 1e-3);
        _lastTimestamp = now;
        return seconds;
    }
}
