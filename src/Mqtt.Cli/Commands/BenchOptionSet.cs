using System.CommandLine;
using Mqtt.Cli.Bench;

namespace Mqtt.Cli.Commands;

/// <summary>The options of `mqttcore bench` (docs/cli.md), one set per command instance, and the settings they give.</summary>
public sealed class BenchOptionSet
{
    public Argument<string> Scenario { get; } = new Argument<string>("scenario") { Description = "fanout, fanin, pairs, shared, connect or idle" }
        .AcceptOnlyFromAmong("fanout", "fanin", "pairs", "shared", "connect", "idle");

    public Option<int?> Publishers { get; } = new("--publishers") { Description = "Publishers (default 1 in fanout, else 4)" };

    public Option<int?> Subscribers { get; } = new("--subscribers") { Description = "Subscribers in fanout and shared (default 4); fanin has 1, pairs one per publisher" };

    public Option<int> QoS { get; } = new Option<int>("--qos", "-q") { Description = "Quality of service: 0, 1 or 2", DefaultValueFactory = _ => 0 }
        .AcceptOnlyFromAmong("0", "1", "2");

    public Option<int> Size { get; } = new("--size") { Description = "Payload bytes (at least 16: send time and sequence number)", DefaultValueFactory = _ => 64 };

    public Option<double?> Rate { get; } = new("--rate") { Description = "Messages per second per publisher (open loop); without it, closed loop" };

    public Option<int> Outstanding { get; } = new("--outstanding") { Description = "Closed loop: messages per publisher not yet fully delivered", DefaultValueFactory = _ => 16 };

    /// <summary>Longest duration, warm-up or hold taken (11.5 days): beyond, time spans overflow.</summary>
    private const double MaximumSeconds = 1e6;

    public Option<double> Duration { get; } = new("--duration") { Description = "Seconds measured", DefaultValueFactory = _ => 10 };

    public Option<double> Warmup { get; } = new("--warmup") { Description = "Seconds of load before measuring (not counted)", DefaultValueFactory = _ => 2 };

    public Option<string?> TopicPrefix { get; } = new("--topic-prefix") { Description = "Topic prefix (default bench/<random 8 hex>)" };

    public Option<int?> BrokerPid { get; } = new("--broker-pid") { Description = "PID of the broker, to sample its CPU time and memory from /proc" };

    public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON object on stdout, nothing else" };

    public Option<bool> Quiet { get; } = new("--quiet") { Description = "No progress line on stderr" };

    public Option<int?> Connections { get; } = new("--connections") { Description = "connect/idle: connections (default 1000 for connect, 10000 for idle)" };

    public Option<int> Concurrency { get; } = new("--concurrency") { Description = "connect/idle: connection attempts in flight", DefaultValueFactory = _ => 16 };

    public Option<bool> Register { get; } = new("--register") { Description = "connect: each connection registers a new user named after its client id (MQTTCORE-REGISTER)" };

    public Option<bool> Hold { get; } = new("--hold") { Description = "connect: keep every connection open until the storm ends" };

    public Option<double> HoldSeconds { get; } = new("--hold-seconds") { Description = "idle: seconds the connections are held", DefaultValueFactory = _ => 10 };

    public void AddTo(Command command)
    {
        command.Arguments.Add(Scenario);
        foreach (Option option in new Option[] { Publishers, Subscribers, QoS, Size, Rate, Outstanding, Duration, Warmup, TopicPrefix, BrokerPid, Json, Quiet,
            Connections, Concurrency, Register, Hold, HoldSeconds })
        {
            command.Options.Add(option);
        }
    }

    public BenchSettings ToSettings(ParseResult r)
    {
        string name = r.GetValue(Scenario)!;
        BenchScenario scenario = name switch
        {
            "fanout" => BenchScenario.FanOut,
            "fanin" => BenchScenario.FanIn,
            "pairs" => BenchScenario.Pairs,
            "shared" => BenchScenario.Shared,
            "connect" => BenchScenario.Connect,
            _ => BenchScenario.Idle,
        };
        int publishers = r.GetValue(Publishers) ?? (scenario == BenchScenario.FanOut ? 1 : 4);
        return new BenchSettings
        {
            Scenario = scenario,
            ScenarioName = name,
            Publishers = publishers,
            Subscribers = scenario switch
            {
                BenchScenario.FanIn => 1,
                BenchScenario.Pairs => publishers,
                _ => r.GetValue(Subscribers) ?? 4,
            },
            QoS = r.GetValue(QoS),
            PayloadBytes = r.GetValue(Size),
            Rate = r.GetValue(Rate),
            Outstanding = r.GetValue(Outstanding),
            Duration = TimeSpan.FromSeconds(r.GetValue(Duration)),
            Warmup = TimeSpan.FromSeconds(r.GetValue(Warmup)),
            TopicPrefix = r.GetValue(TopicPrefix) ?? "bench/" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..8],
            BrokerPid = r.GetValue(BrokerPid),
            Json = r.GetValue(Json),
            Quiet = r.GetValue(Quiet),
            Connections = r.GetValue(Connections) ?? (scenario == BenchScenario.Idle ? 10_000 : 1000),
            Concurrency = r.GetValue(Concurrency),
            Register = r.GetValue(Register),
            Hold = r.GetValue(Hold),
            HoldTime = TimeSpan.FromSeconds(r.GetValue(HoldSeconds)),
        };
    }

    /// <summary>Range checks, made here because a command validator does not see the options' default values.</summary>
    public List<string> Check(ParseResult r)
    {
        var errors = new List<string>();
        if (r.GetValue(Publishers) is < 1 or > ushort.MaxValue)
        {
            errors.Add("--publishers must be 1..65535");
        }
        if (r.GetValue(Subscribers) is < 1)
        {
            errors.Add("--subscribers must be at least 1");
        }
        if (r.GetValue(Size) < BenchPayload.MinimumSize)
        {
            errors.Add($"--size must be at least {BenchPayload.MinimumSize} (the payload carries a send time and a sequence number)");
        }
        if (r.GetValue(Rate) is double perSecond && !(perSecond > 0 && double.IsFinite(perSecond)))
        {
            errors.Add("--rate must be a positive number of messages per second");
        }
        if (r.GetValue(Outstanding) < 1)
        {
            errors.Add("--outstanding must be at least 1");
        }
        if (!(r.GetValue(Duration) is > 0 and <= MaximumSeconds))
        {
            errors.Add($"--duration must be positive, at most {MaximumSeconds} s");
        }
        if (!(r.GetValue(Warmup) is >= 0 and <= MaximumSeconds) || !(r.GetValue(HoldSeconds) is >= 0 and <= MaximumSeconds))
        {
            errors.Add($"--warmup and --hold-seconds must be 0 to {MaximumSeconds} s");
        }
        if (r.GetValue(Connections) is < 1 || r.GetValue(Concurrency) < 1)
        {
            errors.Add("--connections and --concurrency must be at least 1");
        }
        if (r.GetValue(Register) && r.GetValue(Scenario) != "connect")
        {
            errors.Add("--register is for the connect scenario only");
        }
        if (r.GetValue(BrokerPid) is int pid && !ProcessSampler.Exists(pid))
        {
            errors.Add($"--broker-pid {pid}: no such process in /proc");
        }
        return errors;
    }
}
