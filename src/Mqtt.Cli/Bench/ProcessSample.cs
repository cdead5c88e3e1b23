namespace Mqtt.Cli.Bench;

/// <summary>A process's CPU time (user + system) and resident memory at one moment.</summary>
public readonly record struct ProcessSample(double CpuSeconds, long ResidentKiB);
