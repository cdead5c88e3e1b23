using System.Diagnostics;
using System.Runtime.CompilerServices;
using Mqtt.Client;
using Mqtt.Codec;

namespace Mqtt.Cli.Bench;

/// <summary>
/// One publishing connection. Each message carries its send time and sequence number in a preallocated buffer
/// (one buffer at QoS 0, one per publication in flight at QoS 1/2), so publishing allocates nothing here. Open loop:
/// a 1 ms timer and a schedule that sends whatever is due at each tick (catching up after a late tick). Closed loop:
/// at most K messages not yet fully delivered, as counted by the <see cref="DeliveryLedger"/>.
/// </summary>
public sealed class BenchPublisher
{
    private const int MaximumInFlightBytes = 64 << 20;

    private readonly int _index;
    private readonly MqttClient _client;
    private readonly string _topic;
    private readonly QualityOfService _qos;
    private readonly MeasurementWindow _window;
    private readonly byte[] _payload;
    private readonly PendingPublications? _pending;
    private int _sequence;
    private long _sent;
    private long _counted;

    public BenchPublisher(int index, MqttClient client, string topic, BenchSettings settings, MeasurementWindow window)
    {
        _index = index;
        _client = client;
        _topic = topic;
        _qos = (QualityOfService)settings.QoS;
        _window = window;
        _payload = BenchPayload.Create(settings.PayloadBytes);
        if (_qos != QualityOfService.AtMostOnce)
        {
            int wanted = settings.IsOpenLoop ? 1024 : Math.Max(2 * settings.Outstanding, 16);
            _pending = new PendingPublications(Math.Clamp(MaximumInFlightBytes / _payload.Length, 16, wanted), _payload.Length);
        }
    }

    public MqttClient Client => _client;

    /// <summary>Messages sent so far, warmup included.</summary>
    public long Sent => Volatile.Read(ref _sent);

    /// <summary>Messages sent inside the measured window.</summary>
    public long CountedSent => Volatile.Read(ref _counted);

    /// <summary>QoS 1/2 publications refused by the broker.</summary>
    public long Refused => _pending?.Refused ?? 0;

    public ReasonCode? FirstRefusal => _pending?.FirstRefusal;

    /// <summary>Publishes <paramref name="rate"/> messages per second until the window ends.</summary>
    public async Task RunOpenLoopAsync(double rate)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1));
        long start = Stopwatch.GetTimestamp();
        double messagesPerTick = rate / Stopwatch.Frequency;
        long scheduled = 0;
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= _window.End)
            {
                break;
            }
            // The first message at once, then one every 1/rate s; whatever a late tick left behind goes now.
            long due = (long)((now - start) * messagesPerTick) + 1;
            while (scheduled < due && Stopwatch.GetTimestamp() < _window.End)
            {
                await PublishOneAsync();
                scheduled++;
            }
            await timer.WaitForNextTickAsync();
        }
        await FinishAsync();
    }

    /// <summary>Publishes whenever fewer than K messages are outstanding, until the window ends.</summary>
    public async Task RunClosedLoopAsync(DeliveryLedger ledger)
    {
        while (Stopwatch.GetTimestamp() < _window.End)
        {
            if (!ledger.TryReserve(_sequence, _sent))
            {
                await ledger.Signal.WaitAsync();
                continue;
            }
            await PublishOneAsync();
        }
        await FinishAsync();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask PublishOneAsync()
    {
        int sequence = _sequence++;
        if (_pending is null)
        {
            long timestamp = Stamp(_payload, sequence);
            // QoS 0 completes once written: awaiting it keeps the single buffer safe to rewrite.
            await _client.PublishAsync(_topic, _payload, _qos);
            Count(timestamp);
            return;
        }
        _pending.ReapCompleted();
        if (_pending.IsFull)
        {
            _pending.Record(await _pending.TakeOldest());
        }
        byte[] payload = _pending.NextPayload;
        long stamped = Stamp(payload, sequence);
        _pending.Add(_client.PublishAsync(_topic, payload, _qos));
        Count(stamped);
    }

    private long Stamp(byte[] payload, int sequence)
    {
        long timestamp = Stopwatch.GetTimestamp();
        BenchPayload.Write(payload, timestamp, sequence, _index, _window.IsCounted(timestamp));
        return timestamp;
    }

    private void Count(long timestamp)
    {
        Volatile.Write(ref _sent, _sent + 1);
        if (_window.IsCounted(timestamp))
        {
            Volatile.Write(ref _counted, _counted + 1);
        }
    }

    /// <summary>Waits for the acknowledgements still due (the runner bounds how long).</summary>
    private async Task FinishAsync()
    {
        while (_pending is { IsEmpty: false })
        {
            _pending.Record(await _pending.TakeOldest());
        }
    }
}
