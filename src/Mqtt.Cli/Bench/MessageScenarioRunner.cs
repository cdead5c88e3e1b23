using System.Diagnostics;
using Mqtt.Client;
using Mqtt.Codec;

namespace Mqtt.Cli.Bench;

/// <summary>
/// fanout, fanin, pairs and shared: connects the subscribers, then the publishers, publishes through the warmup and
/// the measured window, stops publishing, waits up to <see cref="DrainLimit"/> for the deliveries still due, and
/// reports. The broker's and the generator's CPU are sampled from the start of the window to the end of the drain,
/// so the work on the messages sent in the window is inside it.
/// </summary>
public sealed class MessageScenarioRunner
{
    public static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(5);

    // A closed-loop publisher whose outstanding messages see no delivery for this long gives them up (lost).
    private static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan DisconnectLimit = TimeSpan.FromSeconds(5);
    private const int ConnectConcurrency = 16;

    private readonly BenchSettings _settings;
    private readonly BenchClientFactory _clients;
    private readonly TextWriter _error;
    private ProgressLine _progress;
    private readonly string _runId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
    private readonly MqttClient?[] _subscriberClients;
    private readonly MqttClient?[] _publisherClients;
    private readonly BenchSubscriber[] _subscribers;
    private readonly Task[] _readers;

    public MessageScenarioRunner(BenchSettings settings, BenchClientFactory clients, TextWriter error)
    {
        _settings = settings;
        _clients = clients;
        _error = error;
        _progress = new ProgressLine(settings.Quiet ? null : error, settings.ScenarioName);
        _subscriberClients = new MqttClient?[settings.Subscribers];
        _publisherClients = new MqttClient?[settings.Publishers];
        _subscribers = new BenchSubscriber[settings.Subscribers];
        _readers = new Task[settings.Subscribers];
    }

    public async Task<BenchReport> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await MeasureAsync(cancellationToken);
        }
        finally
        {
            await CloseAsync();
        }
    }

    private async Task<BenchReport> MeasureAsync(CancellationToken cancellationToken)
    {
        BenchSettings s = _settings;
        DeliveryLedger[]? ledgers = null;
        if (!s.IsOpenLoop)
        {
            ledgers = new DeliveryLedger[s.Publishers];
            for (int i = 0; i < ledgers.Length; i++)
            {
                ledgers[i] = new DeliveryLedger(s.Outstanding, s.DeliveriesPerMessage);
            }
        }
        long expectedPerPublisher = s.Rate is double rate ? (long)(rate * (s.Warmup + s.Duration).TotalSeconds * 1.1) + 1024 : 1 << 16;

        await ForEachAsync(s.Subscribers, async i =>
        {
            MqttClient client = _subscriberClients[i] = _clients.Create($"bench-{_runId}-s{i}");
            await client.ConnectAsync(cancellationToken);
            await SubscribeAsync(client, FilterOf(i), cancellationToken);
            _subscribers[i] = new BenchSubscriber(client, s.Publishers, expectedPerPublisher, ledgers);
            // No token: a cancellable wait would allocate per empty read; DisconnectAsync ends the loop.
            _readers[i] = _subscribers[i].RunAsync(CancellationToken.None);
        }, cancellationToken);
        await ForEachAsync(s.Publishers, async i =>
        {
            MqttClient client = _publisherClients[i] = _clients.Create($"bench-{_runId}-p{i}");
            MqttConnectResult connected = await client.ConnectAsync(cancellationToken);
            if ((int)connected.MaximumQoS < s.QoS)
            {
                throw new BenchRefusedException($"refused: the broker supports QoS {(int)connected.MaximumQoS} at most");
            }
        }, cancellationToken);

        _progress = new ProgressLine(s.Quiet ? null : _error, s.ScenarioName); // rates from the first publication on
        var window = new MeasurementWindow(s.Warmup, s.Duration);
        using CancellationTokenRegistration stop = cancellationToken.Register(window.StopNow);
        var publishers = new BenchPublisher[s.Publishers];
        var publishing = new Task[s.Publishers];
        var resources = new ResourceWindow(s.BrokerPid);
        bool begun = false;
        if (s.Warmup <= TimeSpan.Zero)
        {
            resources.Begin();
            begun = true;
        }
        for (int i = 0; i < publishers.Length; i++)
        {
            BenchPublisher publisher = publishers[i] = new BenchPublisher(i, _publisherClients[i]!, TopicOf(i), s, window);
            DeliveryLedger? ledger = ledgers?[i];
            publishing[i] = Task.Run(() => ledger is null ? publisher.RunOpenLoopAsync(s.Rate!.Value) : publisher.RunClosedLoopAsync(ledger));
        }

        long second = Stopwatch.Frequency;
        long nextLine = Stopwatch.GetTimestamp() + second;
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (!begun && now >= window.Start)
            {
                resources.Begin();
                begun = true;
            }
            if (now >= window.End)
            {
                break;
            }
            if (now >= nextLine)
            {
                nextLine += second;
                WriteProgress(now < window.Start ? "warmup" : "measure", publishers);
                WriteOffStalled(publishers, ledgers);
            }
            long wake = Math.Min(nextLine, begun ? window.End : window.Start);
            await Task.Delay(TimeSpan.FromSeconds(Math.Max((double)(wake - now) / second, 0.001)), CancellationToken.None);
        }
        if (!begun)
        {
            resources.Begin(); // stopped during the warmup
        }

        // Drain: publishing stops (waiting publishers are woken to see the end), then the deliveries still due.
        foreach (DeliveryLedger ledger in ledgers ?? [])
        {
            ledger.Signal.Signal();
        }
        long deadline = Stopwatch.GetTimestamp() + MeasurementWindow.ToTicks(DrainLimit);
        try
        {
            TimeSpan left = Stopwatch.GetElapsedTime(Math.Min(Stopwatch.GetTimestamp(), deadline), deadline);
            await Task.WhenAll(publishing).WaitAsync(left, CancellationToken.None);
        }
        catch (TimeoutException)
        {
            _error.WriteLine("bench: some publishers were still waiting for acknowledgements after the drain period");
        }
        catch (Exception)
        {
            // Reported per publisher below.
        }
        long sent = 0;
        foreach (BenchPublisher publisher in publishers)
        {
            sent += publisher.CountedSent;
        }
        long expected = sent * s.DeliveriesPerMessage;
        while (CountedDelivered() < expected && Stopwatch.GetTimestamp() < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(10, CancellationToken.None);
            if (Stopwatch.GetTimestamp() >= nextLine)
            {
                nextLine += second;
                WriteProgress("drain", publishers);
            }
        }
        long delivered = CountedDelivered();
        resources.Finish();
        ReportPublisherTrouble(publishers, publishing);

        // A loop that failed before we disconnected lost its connection (what it received still counts).
        for (int i = 0; i < _readers.Length; i++)
        {
            if (_readers[i].Exception?.GetBaseException() is Exception failure)
            {
                _error.WriteLine($"bench: subscriber {i} stopped: {failure.Message}");
            }
        }
        await CloseAsync();
        var latency = new LatencyHistogram();
        long duplicates = 0;
        long strays = 0;
        foreach (BenchSubscriber subscriber in _subscribers)
        {
            latency.Add(subscriber.Latency);
            duplicates += subscriber.Duplicates;
            strays += subscriber.Strays;
        }
        if (strays > 0)
        {
            _error.WriteLine($"bench: {strays} messages on the bench topics were not from this run (another run on the same --topic-prefix?)");
        }
        double seconds = window.Duration.TotalSeconds;
        long? notSent = NotSent(s, sent, seconds);
        if (notSent > 0.03 * s.Rate * s.Publishers * seconds)
        {
            _error.WriteLine($"bench: {notSent} messages offered in the window were not sent ({100.0 * notSent / (s.Rate * s.Publishers * seconds):0.#} %): "
                + "the generator or the broker's back-pressure could not keep the rate (latency counts them from when they were due)");
        }
        return new BenchReport
        {
            Scenario = s.ScenarioName,
            QoS = s.QoS,
            PayloadBytes = s.PayloadBytes,
            Publishers = s.Publishers,
            Subscribers = s.Subscribers,
            Mode = s.IsOpenLoop ? "open" : "closed",
            OfferedRate = s.Rate,
            Outstanding = s.IsOpenLoop ? null : s.Outstanding,
            DurationSeconds = seconds,
            Sent = sent,
            NotSent = notSent,
            Expected = expected,
            Delivered = delivered,
            Lost = Math.Max(0, expected - delivered),
            Duplicates = duplicates,
            DeliveredPerSecond = seconds > 0 ? delivered / seconds : null,
            Latency = LatencySummary.From(latency),
            Broker = resources.Broker(delivered, null, null),
            GeneratorCpuSeconds = resources.GeneratorCpuSeconds,
            GeneratorCpuMicrosecondsPerMessage = ResourceWindow.PerItem(resources.GeneratorCpuSeconds, delivered),
        };
    }

    /// <summary>Open loop: messages the schedule offered in the window that the publishers did not send (null in closed loop).</summary>
    private static long? NotSent(BenchSettings s, long sent, double seconds) =>
        s.Rate is double rate ? Math.Max(0, (long)Math.Round(rate * s.Publishers * seconds) - sent) : null;

    private string TopicOf(int publisher) => $"{_settings.TopicPrefix}/p/{publisher}";

    private string FilterOf(int subscriber) => _settings.Scenario switch
    {
        BenchScenario.Pairs => TopicOf(subscriber),
        BenchScenario.Shared => $"$share/bench/{_settings.TopicPrefix}/p/+",
        _ => $"{_settings.TopicPrefix}/p/+",
    };

    private async Task SubscribeAsync(MqttClient client, string filter, CancellationToken cancellationToken)
    {
        MqttSubscribeResult result = await client.SubscribeAsync(filter, (QualityOfService)_settings.QoS, cancellationToken);
        ReasonCode code = result.ReasonCodes.Count > 0 ? result.ReasonCodes[0] : ReasonCode.UnspecifiedError;
        if ((byte)code >= 0x80)
        {
            throw new BenchRefusedException($"refused: {MqttReasonCodeText.Format(code)} (subscription to {filter})");
        }
    }

    private long CountedDelivered()
    {
        long delivered = 0;
        foreach (BenchSubscriber subscriber in _subscribers)
        {
            delivered += subscriber.CountedDelivered;
        }
        return delivered;
    }

    private void WriteProgress(string phase, BenchPublisher[] publishers)
    {
        long sent = 0;
        foreach (BenchPublisher publisher in publishers)
        {
            sent += publisher.Sent;
        }
        long delivered = 0;
        foreach (BenchSubscriber subscriber in _subscribers)
        {
            delivered += subscriber.Delivered;
        }
        _progress.Messages(phase, sent, delivered, MissingSoFar());
    }

    /// <summary>
    /// Messages missing below the newest one received, per (subscriber, publisher): MQTT keeps a publisher's messages
    /// in order on a subscription, so a gap is a loss. A shared subscription spreads them over its members: counted
    /// across the group (members' in-flight messages make that approximate while running).
    /// </summary>
    private long MissingSoFar()
    {
        long missing = 0;
        for (int p = 0; p < _settings.Publishers; p++)
        {
            if (_settings.Scenario == BenchScenario.Shared)
            {
                int highest = -1;
                long distinct = 0;
                foreach (BenchSubscriber subscriber in _subscribers)
                {
                    highest = Math.Max(highest, subscriber.Tracker.Highest(p));
                    distinct += subscriber.Tracker.Distinct(p);
                }
                missing += Math.Max(0, highest + 1 - distinct);
            }
            else
            {
                foreach (BenchSubscriber subscriber in _subscribers)
                {
                    missing += Math.Max(0, subscriber.Tracker.Highest(p) + 1 - subscriber.Tracker.Distinct(p));
                }
            }
        }
        return missing;
    }

    private void WriteOffStalled(BenchPublisher[] publishers, DeliveryLedger[]? ledgers)
    {
        if (ledgers is null)
        {
            return;
        }
        for (int i = 0; i < ledgers.Length; i++)
        {
            int writtenOff = ledgers[i].WriteOffIfStalled(publishers[i].Sent, StallLimit);
            if (writtenOff > 0)
            {
                _error.WriteLine($"bench: publisher {i}: {writtenOff} messages undelivered after {StallLimit.TotalSeconds:0} s, given up (counted as lost)");
            }
        }
    }

    private void ReportPublisherTrouble(BenchPublisher[] publishers, Task[] publishing)
    {
        for (int i = 0; i < publishers.Length; i++)
        {
            if (publishing[i].Exception?.GetBaseException() is Exception failure)
            {
                _error.WriteLine($"bench: publisher {i} stopped: {failure.Message}");
            }
            if (publishers[i].Refused > 0)
            {
                _error.WriteLine($"bench: publisher {i}: {publishers[i].Refused} publications refused, first with {MqttReasonCodeText.Format(publishers[i].FirstRefusal!.Value)}");
            }
        }
    }

    /// <summary>Runs <paramref name="action"/> for 0..count-1, <see cref="ConnectConcurrency"/> at a time; the first failure is thrown.</summary>
    private static async Task ForEachAsync(int count, Func<int, Task> action, CancellationToken cancellationToken)
    {
        int next = -1;
        var workers = new Task[Math.Min(count, ConnectConcurrency)];
        for (int w = 0; w < workers.Length; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < count)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await action(i);
                }
            }, CancellationToken.None);
        }
        try
        {
            await Task.WhenAll(workers);
        }
        catch
        {
            // The first failure, not the AggregateException's first inner one by accident of ordering.
            throw workers.Select(w => w.Exception?.GetBaseException()).First(e => e is not null)!;
        }
    }

    /// <summary>Disconnects every client (bounded in time), then waits for the subscribers' loops to end.</summary>
    private async Task CloseAsync()
    {
        var closing = new List<Task>();
        foreach (MqttClient? client in _publisherClients.Concat(_subscriberClients))
        {
            if (client is not null)
            {
                closing.Add(CloseAsync(client));
            }
        }
        await Task.WhenAll(closing);
        foreach (Task reader in _readers)
        {
            if (reader is not null)
            {
                try
                {
                    await reader.WaitAsync(DisconnectLimit);
                }
                catch (Exception e) when (e is MqttException or TimeoutException or ObjectDisposedException or OperationCanceledException)
                {
                    // The connection ended on its own (lost): what it had received is counted all the same.
                }
            }
        }
    }

    private static async Task CloseAsync(MqttClient client)
    {
        try
        {
            if (client.IsConnected)
            {
                using var limit = new CancellationTokenSource(DisconnectLimit);
                await client.DisconnectAsync(cancellationToken: limit.Token);
            }
        }
        catch (Exception e) when (e is MqttException or OperationCanceledException or ObjectDisposedException)
        {
            // Closing anyway.
        }
        await client.DisposeAsync();
    }
}
