using Mqtt.Codec;

namespace Mqtt.Broker;

/// <summary>
/// A new subscription's retained messages (3.3.1.3), as the store held them when it was made: references, so a burst
/// waiting for a client that reads slowly costs 8 bytes a message, the store keeping the messages themselves.
/// </summary>
internal sealed class RetainedBurst
{
    private readonly SubscriptionEntry _entry;
    private readonly ApplicationMessage[] _messages;
    private readonly RetainedStore _store;
    private readonly long _version;
    private int _next;
    private int _end; // the messages from _next to _end are still to go
    private Delivery? _current;

    /// <summary>The first <paramref name="count"/> of <paramref name="matches"/>, copied to an array of their size.</summary>
    public RetainedBurst(SubscriptionEntry entry, List<ApplicationMessage> matches, int count, RetainedStore store, long version)
    {
        _entry = entry;
        _messages = new ApplicationMessage[count];
        matches.CopyTo(0, _messages, 0, count);
        _end = count;
        _store = store;
        _version = version;
    }

    /// <summary>Messages not yet handed on.</summary>
    public int Remaining => _end - _next;

    /// <summary>At QoS 0, every message of the burst: an offline session keeps none of them.</summary>
    public bool IsQoS0 => _entry.MaximumQoS == QualityOfService.AtMostOnce;

    /// <summary>
    /// The next delivery, unless the burst is over: its subscription ended, or it has no message left. A topic retained
    /// anew since the snapshot has its newer message sent instead, routed live as well: the client then has it once or
    /// twice, never the stale value after the newer [MQTT-4.6.0-5]. A topic cleared since, or a message expired, is skipped.
    /// </summary>
    public bool TryPeek(long now, out Delivery delivery)
    {
        while (_current is null && _next < _end)
        {
            if (_entry.HasEnded)
            {
                _next = _end;
                break;
            }
            _current = DeliveryOf(_messages[_next], now);
            _next += _current is null ? 1 : 0;
        }
        delivery = _current!;
        return _current is not null;
    }

    /// <summary>The delivery <see cref="TryPeek"/> gave was handed on.</summary>
    public void Advance()
    {
        _current = null;
        _next++;
    }

    /// <summary>
    /// The deliveries among the next <paramref name="count"/> messages, in order, without handing them on (a state file
    /// keeps them). A bound, as the skipped ones cost a look each too.
    /// </summary>
    public IEnumerable<Delivery> Waiting(long now, int count)
    {
        for (int i = _next; i < _end && i - _next < count && !_entry.HasEnded; i++)
        {
            Delivery? delivery = i == _next && _current is not null ? _current : DeliveryOf(_messages[i], now);
            if (delivery is not null)
            {
                yield return delivery;
            }
        }
    }

    /// <summary>Forgets all but the next <paramref name="count"/> messages; returns how many it forgot.</summary>
    public int KeepAtMost(int count)
    {
        int forgotten = Math.Max(0, Remaining - Math.Max(0, count));
        _end -= forgotten;
        if (_next == _end)
        {
            _current = null;
        }
        return forgotten;
    }

    private Delivery? DeliveryOf(ApplicationMessage snapshot, long now)
    {
        ApplicationMessage? message = _store.Version == _version ? snapshot : _store.Current(snapshot.Topic);
        if (message is null || message.IsExpired(now))
        {
            return null;
        }
        var qos = (QualityOfService)Math.Min((int)_entry.MaximumQoS, (int)message.QoS);
        // [MQTT-3.3.1-9] messages sent because of a new subscription keep RETAIN set.
        return new Delivery(message, qos, retain: true, _entry.EncodedIdentifier);
    }
}
