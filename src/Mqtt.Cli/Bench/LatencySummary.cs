namespace Mqtt.Cli.Bench;

/// <summary>End-to-end latency percentiles in microseconds (connect time for the connection scenarios).</summary>
public sealed record LatencySummary(double P50, double P99, double Max)
{
    /// <summary>The summary of a histogram in nanoseconds; null when it is empty.</summary>
    public static LatencySummary? From(LatencyHistogram histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        return histogram.ValueAtPercentile(50) is long p50 && histogram.ValueAtPercentile(99) is long p99
            ? new LatencySummary(p50 / 1000.0, p99 / 1000.0, histogram.Maximum / 1000.0)
            : null;
    }
}
