using System.Diagnostics;
using Mqtt.Client;

namespace Mqtt.Cli.Bench;

/// <summary>
/// One subscribing connection: checks each message's (publisher, sequence) against its <see cref="SequenceTracker"/>
/// (duplicates), records the latency of counted messages in its own histogram and tells the publisher's
/// <see cref="DeliveryLedger"/> (closed loop). The client hands each message over as a new
/// <see cref="MqttApplicationMessage"/> with a copied payload and a topic string: those allocations are the client's.
/// </summary>
public sealed class BenchSubscriber
{
    private readonly DeliveryLedger[]? _ledgers;
    private long _delivered;
    private long _counted;
    private long _duplicates;
    private long _strays;

    public BenchSubscriber(MqttClient client, int publishers, long expectedPerPublisher, DeliveryLedger[]? ledgers)
    {
        Client = client;
        Tracker = new SequenceTracker(publishers, expectedPerPublisher);
        _ledgers = ledgers;
    }

    public MqttClient Client { get; }

    public SequenceTracker Tracker { get; }

    public LatencyHistogram Latency { get; } = new();

    /// <summary>First deliveries of any message, warmup included.</summary>
    public long Delivered => Volatile.Read(ref _delivered);

    /// <summary>First deliveries of messages sent in the measured window.</summary>
    public long CountedDelivered => Volatile.Read(ref _counted);

    /// <summary>Deliveries of a counted (publisher, sequence) this subscriber had already received.</summary>
    public long Duplicates => Volatile.Read(ref _duplicates);

    /// <summary>Messages that were not from this run's publishers.</summary>
    public long Strays => Volatile.Read(ref _strays);

    /// <summary>Reads messages until the client disconnects or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await foreach (MqttApplicationMessage message in Client.ReadMessagesAsync(cancellationToken))
        {
            OnMessage(message.Payload.Span);
        }
    }

    private void OnMessage(ReadOnlySpan<byte> payload)
    {
        long now = Stopwatch.GetTimestamp();
        if (!BenchPayload.TryRead(payload, out long sentAt, out int sequence, out int publisher, out bool counted)
            || publisher >= Tracker.Publishers || sequence < 0)
        {
            Volatile.Write(ref _strays, _strays + 1);
            return;
        }
        if (!Tracker.TryMark(publisher, sequence))
        {
            if (counted)
            {
                Volatile.Write(ref _duplicates, _duplicates + 1);
            }
            return;
        }
        Volatile.Write(ref _delivered, _delivered + 1);
        if (counted)
        {
            Volatile.Write(ref _counted, _counted + 1);
            Latency.RecordTicks(now - sentAt);
        }
        _ledgers?[publisher].OnDelivered(sequence);
    }
}
