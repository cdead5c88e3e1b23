using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Mqtt.Broker;
using Mqtt.Codec;
using MQTTnet;

namespace Mqtt.Benchmarks;

/// <summary>
/// The broker's two matchers, each against MQTTnet 5.2's <see cref="MqttTopicFilterComparer"/> applied to every
/// filter or retained topic in turn (what a server without an index does, and the baseline of each pair):
/// routing one PUBLISH through 10,000 subscriptions (<see cref="TopicTree"/>), and finding the retained messages
/// of one device's "devices/42/#" among 100,000 (<see cref="RetainedStore"/>).
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class TopicMatchingBenchmarks
{
    private const int Devices = 2_500;
    private const int RetainedDevices = 10_000;
    private readonly TopicTree _tree = new();
    private readonly RetainedStore _retained = new(new BrokerOptions());
    private readonly List<SubscriptionEntry> _matches = new(16);
    private readonly DefaultAuthorizer _authorizer = new(); // what Route passes: shared groups ask it (none here)
    private string[] _filters = null!;
    private string[] _retainedTopics = null!;

    [GlobalSetup]
    public void Setup()
    {
        // Four subscriptions per device: its commands, everything under it, any device's status (one shared
        // subscriber per device), and one wildcard in the middle. 10,000 filters in all.
        var filters = new List<string>();
        for (int i = 0; i < Devices; i++)
        {
            filters.AddRange([$"devices/{i}/cmd", $"devices/{i}/#", $"devices/+/status/{i}", $"+/{i}/cmd"]);
        }
        _filters = [.. filters];
        for (int i = 0; i < _filters.Length; i++)
        {
            var session = new Session("c" + i, null);
            _tree.Add(new SubscriptionEntry(session, _filters[i], new Subscription(MqttUtf8.Encode(_filters[i]), QualityOfService.AtLeastOnce), 0));
        }

        // Ten retained topics per device: 100,000 in all.
        var topics = new List<string>();
        for (int i = 0; i < RetainedDevices; i++)
        {
            for (int j = 0; j < 10; j++)
            {
                string topic = $"devices/{i}/config/{j}";
                topics.Add(topic);
                _retained.TrySet(ApplicationMessage.Copy(new PublishPacket { Topic = MqttUtf8.Encode(topic), Payload = MqttUtf8.Encode("v"), Retain = true }, null));
            }
        }
        _retainedTopics = [.. topics];
        if (RouteMqttCore() != 3 || RouteMqttNet() != 3 || RetainedMqttCore() != 10 || RetainedMqttNet() != 10)
        {
            throw new InvalidOperationException("the two matchers disagree on the sample");
        }
    }

    [BenchmarkCategory("Route one PUBLISH, 10,000 subscriptions"), Benchmark]
    public int RouteMqttCore()
    {
        _matches.Clear();
        _tree.Match("devices/42/cmd", _authorizer, _matches);
        return _matches.Count;
    }

    [BenchmarkCategory("Route one PUBLISH, 10,000 subscriptions"), Benchmark(Baseline = true)]
    public int RouteMqttNet()
    {
        int count = 0;
        foreach (string filter in _filters)
        {
            if (MqttTopicFilterComparer.Compare("devices/42/cmd", filter) == MqttTopicFilterCompareResult.IsMatch)
            {
                count++;
            }
        }
        return count;
    }

    [BenchmarkCategory("Retained for devices/42/#, 100,000 retained"), Benchmark]
    public int RetainedMqttCore() => _retained.Match("devices/42/#", 0).Count;

    [BenchmarkCategory("Retained for devices/42/#, 100,000 retained"), Benchmark(Baseline = true)]
    public int RetainedMqttNet()
    {
        int count = 0;
        foreach (string topic in _retainedTopics)
        {
            if (MqttTopicFilterComparer.Compare(topic, "devices/42/#") == MqttTopicFilterCompareResult.IsMatch)
            {
                count++;
            }
        }
        return count;
    }
}
