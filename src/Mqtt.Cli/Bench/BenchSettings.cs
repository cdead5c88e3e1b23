namespace Mqtt.Cli.Bench;

/// <summary>One run of `mqttcore bench`, as given on the command line (defaults already applied).</summary>
public sealed record BenchSettings
{
    public required BenchScenario Scenario { get; init; }

    /// <summary>The scenario's name on the command line and in the report.</summary>
    public required string ScenarioName { get; init; }

    public int Publishers { get; init; }

    public int Subscribers { get; init; }

    public int QoS { get; init; }

    public int PayloadBytes { get; init; } = 64;

    /// <summary>Messages per second per publisher (open loop); null for the closed loop.</summary>
    public double? Rate { get; init; }

    /// <summary>Messages per publisher not yet fully delivered (closed loop).</summary>
    public int Outstanding { get; init; } = 16;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    public required string TopicPrefix { get; init; }

    public int? BrokerPid { get; init; }

    public bool Json { get; init; }

    public bool Quiet { get; init; }

    public int Connections { get; init; }

    public int Concurrency { get; init; } = 16;

    /// <summary>connect: every connection registers a new user named after its client identifier (MQTTCORE-REGISTER).</summary>
    public bool Register { get; init; }

    /// <summary>connect: keep every connection open until the storm ends.</summary>
    public bool Hold { get; init; }

    /// <summary>idle: how long the connections are held.</summary>
    public TimeSpan HoldTime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Deliveries each message should get: S in fan-out, 1 otherwise.</summary>
    public int DeliveriesPerMessage => Scenario == BenchScenario.FanOut ? Subscribers : 1;

    public bool IsOpenLoop => Rate is not null;
}
