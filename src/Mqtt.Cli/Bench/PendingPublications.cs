using Mqtt.Client;
using Mqtt.Codec;

namespace Mqtt.Cli.Bench;

/// <summary>
/// A publisher's QoS 1/2 publications awaiting PUBACK/PUBCOMP, oldest first, each with its own preallocated payload
/// buffer: the client may read a payload after PublishAsync returned (while it waits for a Receive Maximum slot), so
/// a buffer is reused only once its publication completed. Acknowledgements arrive in order on one connection, so
/// awaiting the oldest when the ring is full keeps many in flight without serialising the publisher.
/// </summary>
public sealed class PendingPublications
{
    private readonly ValueTask<MqttPublishResult>[] _pending;
    private readonly byte[][] _payloads;
    private int _head;
    private int _count;

    public PendingPublications(int capacity, int payloadSize)
    {
        _pending = new ValueTask<MqttPublishResult>[capacity];
        _payloads = new byte[capacity][];
        for (int i = 0; i < capacity; i++)
        {
            _payloads[i] = BenchPayload.Create(payloadSize);
        }
    }

    public bool IsFull => _count == _pending.Length;

    public bool IsEmpty => _count == 0;

    /// <summary>Publications the broker refused (reason code 0x80 or above).</summary>
    public long Refused { get; private set; }

    /// <summary>The first refusal's reason code, for the message on stderr.</summary>
    public ReasonCode? FirstRefusal { get; private set; }

    /// <summary>The buffer of the next publication (free: callers make room first when <see cref="IsFull"/>).</summary>
    public byte[] NextPayload => _payloads[(_head + _count) % _pending.Length];

    /// <summary>Adds the publication just started with <see cref="NextPayload"/>.</summary>
    public void Add(ValueTask<MqttPublishResult> publication)
    {
        _pending[(_head + _count) % _pending.Length] = publication;
        _count++;
    }

    /// <summary>Takes the oldest publication out, for the caller to await once and hand to <see cref="Record"/>.</summary>
    public ValueTask<MqttPublishResult> TakeOldest()
    {
        ValueTask<MqttPublishResult> oldest = _pending[_head];
        _pending[_head] = default;
        _head = (_head + 1) % _pending.Length;
        _count--;
        return oldest;
    }

    /// <summary>Takes out every publication already completed at the head (throws a failed one's exception).</summary>
    public void ReapCompleted()
    {
        while (_count > 0 && _pending[_head].IsCompleted)
        {
            Record(TakeOldest().GetAwaiter().GetResult());
        }
    }

    public void Record(MqttPublishResult result)
    {
        if (!result.IsSuccess)
        {
            Refused++;
            FirstRefusal ??= result.ReasonCode;
        }
    }
}
