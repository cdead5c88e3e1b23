namespace Mqtt.Cli.Bench;

/// <summary>The scenarios of `mqttcore bench` (docs/cli.md).</summary>
public enum BenchScenario
{
    /// <summary>P publishers on their own topics, S subscribers on all of them: each message delivered S times.</summary>
    FanOut,

    /// <summary>P publishers on their own topics, one subscriber on all of them.</summary>
    FanIn,

    /// <summary>P publishers, each with its own subscriber on its own topic.</summary>
    Pairs,

    /// <summary>P publishers, S subscribers in one shared subscription: each message delivered once.</summary>
    Shared,

    /// <summary>A storm of connections, each closed after CONNACK unless held.</summary>
    Connect,

    /// <summary>N connections held idle, to measure the broker's memory per connection.</summary>
    Idle,
}
