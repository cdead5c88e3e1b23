using Mqtt.Codec;

namespace Mqtt.Broker;

/// <summary>
/// A new subscription's retained messages (3.3.1.3), as the store held them when it was made: references, so a burst
/// waiting for a client that reads slowly costs 8 bytes a message, the store keeping the messages themselves.
/// </summary>
internal sealed class RetainedBurst(SubscriptionEntry entry, List<ApplicationMessage> messages, RetainedStore store, long version)
{
    private int _next;
    private Delivery? _current;

    /// <summary>Messages not yet handed on.</summary>
    public int Remaining => messages.Count - _next;

    /// <summary>Forgets all but the next <paramref name="count"/> messages; returns how many it forgot.</summary>
    public int KeepAtMost(long count)
    {
        if (Remaining <= count)
        {
            return 0;
        }
        int forgotten = Remaining - (int)count;
        messages.RemoveRange(_next + (int)count, forgotten);
        return forgotten;
    }

    /// <summary>
    /// The next delivery, unless the burst is over: its subscription ended, or it has no message left. A topic retained
    /// anew since the snapshot has its newer message sent instead, routed live as well: the client then has it once or
    /// twice, never the stale value after the newer [MQTT-4.6.0-5]. A topic cleared since, or a message expired, is skipped.
    /// </summary>
    public bool TryPeek(long now, out Delivery delivery)
    {
        while (_current is null && _next < messages.Count)
        {
            if (entry.HasEnded)
            {
                _next = messages.Count;
                break;
            }
            ApplicationMessage? message = store.Version == version ? messages[_next] : store.Current(messages[_next].Topic);
            if (message is null || message.IsExpired(now))
            {
                _next++;
                continue;
            }
            var qos = (QualityOfService)Math.Min((int)entry.MaximumQoS, (int)message.QoS);
            // [MQTT-3.3.1-9] messages sent because of a new subscription keep RETAIN set.
            _current = new Delivery(message, qos, retain: true, entry.EncodedIdentifier);
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
}
