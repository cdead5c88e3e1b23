namespace Mqtt.Cli.Bench;

/// <summary>What /proc said about the broker over the measured window (given --broker-pid).</summary>
public sealed record BrokerFigures
{
    public required int Pid { get; init; }

    public required double CpuSeconds { get; init; }

    public double? CpuMicrosecondsPerMessage { get; init; }

    public double? CpuMicrosecondsPerConnect { get; init; }

    public required long ResidentKiBStart { get; init; }

    public required long ResidentKiBEnd { get; init; }

    public double? ResidentKiBPerConnection { get; init; }
}
