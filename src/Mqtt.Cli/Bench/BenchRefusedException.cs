namespace Mqtt.Cli.Bench;

/// <summary>The broker refused what a run needs (a subscription, the QoS): exit code 2.</summary>
public sealed class BenchRefusedException(string message) : Exception(message);
