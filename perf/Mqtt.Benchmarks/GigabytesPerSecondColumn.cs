using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Mqtt.Benchmarks;

/// <summary>Decoded wire bytes per second (10^9), from the mean time of one operation.</summary>
public sealed class GigabytesPerSecondColumn(long bytesPerOperation) : IColumn
{
    public string Id => nameof(GigabytesPerSecondColumn);

    public string ColumnName => "GB/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => $"Wire bytes decoded per second, 10^9 (one operation = {bytesPerOperation:N0} bytes)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? meanNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return meanNanoseconds is double ns && ns > 0 ? (bytesPerOperation / ns).ToString("F2") : "NA";
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
