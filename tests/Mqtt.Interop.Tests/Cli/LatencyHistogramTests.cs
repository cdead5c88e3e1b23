using Mqtt.Cli.Bench;

namespace Mqtt.Interop.Tests.Cli;

/// <summary>The bench's latency histogram: exact below 128 ns, within 1/128 of the value above, merged by addition.</summary>
public sealed class LatencyHistogramTests
{
    [Fact]
    public void An_empty_histogram_has_no_percentiles()
    {
        var histogram = new LatencyHistogram();

        Assert.Null(histogram.ValueAtPercentile(50));
        Assert.Equal(0, histogram.Count);
        Assert.Null(LatencySummary.From(histogram));
    }

    [Fact]
    public void Small_values_have_a_bucket_each_so_percentiles_are_exact()
    {
        var histogram = new LatencyHistogram();
        for (int value = 0; value < 100; value++)
        {
            histogram.Record(value);
        }

        // Rank ceil(p * 100) of the values 0..99.
        Assert.Equal(49, histogram.ValueAtPercentile(50));
        Assert.Equal(98, histogram.ValueAtPercentile(99));
        Assert.Equal(99, histogram.ValueAtPercentile(100));
        Assert.Equal(99, histogram.Maximum);
        Assert.Equal(100, histogram.Count);
    }

    [Fact]
    public void Percentiles_of_a_uniform_spread_are_within_one_percent()
    {
        var histogram = new LatencyHistogram();
        for (long microseconds = 1; microseconds <= 10_000; microseconds++)
        {
            histogram.Record(microseconds * 1000);
        }

        AssertClose(5_000_000, histogram.ValueAtPercentile(50)!.Value);
        AssertClose(9_900_000, histogram.ValueAtPercentile(99)!.Value);
        Assert.Equal(10_000_000, histogram.Maximum);
        LatencySummary summary = LatencySummary.From(histogram)!;
        Assert.InRange(summary.P50, 4950, 5050);
        Assert.InRange(summary.P99, 9801, 9999);
        Assert.Equal(10_000, summary.Max);
    }

    [Theory]
    [InlineData(128)]
    [InlineData(85_000)]
    [InlineData(2_300_000)]
    [InlineData(1L << 40)]
    [InlineData(long.MaxValue / 2)]
    public void A_single_value_comes_back_within_its_bucket_width_and_never_above_the_maximum(long value)
    {
        var histogram = new LatencyHistogram();
        histogram.Record(value);

        long p50 = histogram.ValueAtPercentile(50)!.Value;

        Assert.InRange(p50, value - value / 64, value);
        Assert.Equal(value, histogram.Maximum);
    }

    [Fact]
    public void A_negative_latency_counts_as_zero()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(-5);

        Assert.Equal(0, histogram.ValueAtPercentile(50));
        Assert.Equal(1, histogram.Count);
    }

    [Fact]
    public void Adding_histograms_gives_the_histogram_of_all_their_values()
    {
        var random = new Random(7);
        var whole = new LatencyHistogram();
        var parts = new[] { new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram() };
        for (int i = 0; i < 30_000; i++)
        {
            long value = (long)Math.Exp(random.NextDouble() * 20);
            whole.Record(value);
            parts[i % parts.Length].Record(value);
        }
        var merged = new LatencyHistogram();
        foreach (LatencyHistogram part in parts)
        {
            merged.Add(part);
        }

        Assert.Equal(whole.Count, merged.Count);
        Assert.Equal(whole.Maximum, merged.Maximum);
        foreach (double percentile in new[] { 1, 25, 50, 90, 99, 99.9, 100 })
        {
            Assert.Equal(whole.ValueAtPercentile(percentile), merged.ValueAtPercentile(percentile));
        }
    }

    private static void AssertClose(long expected, long actual) =>
        Assert.True(Math.Abs(actual - expected) <= expected / 100, $"expected {expected} within 1 %, got {actual}");
}
