namespace Mqtt.Cli.Bench;

/// <summary>The result of a run: the JSON object of docs/cli.md, null where a field does not apply to the scenario.</summary>
public sealed record BenchReport
{
    public required string Scenario { get; init; }

    public int? QoS { get; init; }

    public int? PayloadBytes { get; init; }

    public int? Publishers { get; init; }

    public int? Subscribers { get; init; }

    /// <summary>"open" or "closed" for the message scenarios.</summary>
    public string? Mode { get; init; }

    public double? OfferedRate { get; init; }

    public int? Outstanding { get; init; }

    /// <summary>The measured window in seconds.</summary>
    public required double DurationSeconds { get; init; }

    public long? Sent { get; init; }

    /// <summary>Open loop: offered in the window (rate x publishers x duration) and not sent.</summary>
    public long? NotSent { get; init; }

    public long? Expected { get; init; }

    public long? Delivered { get; init; }

    public long? Lost { get; init; }

    public long? Duplicates { get; init; }

    public double? DeliveredPerSecond { get; init; }

    public LatencySummary? Latency { get; init; }

    public int? Connections { get; init; }

    public double? ConnectsPerSecond { get; init; }

    public long? ConnectFailures { get; init; }

    public BrokerFigures? Broker { get; init; }

    public required double GeneratorCpuSeconds { get; init; }

    public double? GeneratorCpuMicrosecondsPerMessage { get; init; }
}
