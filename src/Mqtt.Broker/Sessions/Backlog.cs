using Mqtt.Codec;

namespace Mqtt.Broker;

/// <summary>
/// What a connected session has yet to hand its connection behind new subscriptions' retained messages: the bursts
/// themselves, and the deliveries routed to the session after them, which wait their turn so the client gets
/// everything in the order it would have without the wait. The session hands it on as the client takes its output
/// (<see cref="Session.FeedBacklog"/>), so a `#` subscriber that stops reading holds a reference per retained message
/// it has not had, not a queued packet for each.
/// </summary>
internal sealed class Backlog
{
    private readonly Queue<(RetainedBurst? Burst, Delivery? Delivery)> _items = new();

    /// <summary>Routed QoS 0 deliveries waiting behind the bursts.</summary>
    public int HeldQoS0 { get; private set; }

    /// <summary>Routed QoS 1/2 deliveries waiting behind the bursts.</summary>
    public int HeldQoS12 { get; private set; }

    /// <summary>Retained messages of the bursts not yet handed on (or skipped).</summary>
    public long RetainedRemaining { get; private set; }

    /// <summary>A connection's loop feeds it (<see cref="MqttConnection"/>): no second one is started.</summary>
    public bool HasFeeder { get; set; }

    public void Add(RetainedBurst burst)
    {
        _items.Enqueue((burst, null));
        RetainedRemaining += burst.Remaining;
    }

    public void Hold(Delivery delivery)
    {
        _items.Enqueue((null, delivery));
        Count(delivery, +1);
    }

    /// <summary>The next delivery in order, or false when nothing is left.</summary>
    public bool TryPeek(long now, out Delivery delivery)
    {
        while (_items.TryPeek(out (RetainedBurst? Burst, Delivery? Delivery) item))
        {
            if (item.Delivery is not null)
            {
                delivery = item.Delivery;
                return true;
            }
            int before = item.Burst!.Remaining;
            bool found = item.Burst.TryPeek(now, out delivery);
            RetainedRemaining -= before - item.Burst.Remaining;
            if (found)
            {
                return true;
            }
            _items.Dequeue();
        }
        delivery = null!;
        return false;
    }

    /// <summary>The delivery <see cref="TryPeek"/> gave was routed to the session, not one of a retained burst.</summary>
    public bool HeadIsRouted => _items.TryPeek(out (RetainedBurst? Burst, Delivery? Delivery) item) && item.Delivery is not null;

    /// <summary>The delivery <see cref="TryPeek"/> gave was handed on.</summary>
    public void Advance()
    {
        (RetainedBurst? burst, Delivery? delivery) = _items.Peek();
        if (delivery is not null)
        {
            _items.Dequeue();
            Count(delivery, -1);
        }
        else
        {
            burst!.Advance();
            RetainedRemaining--;
        }
    }

    /// <summary>
    /// Forgets the burst at the head when none of its messages can be kept by an offline session: QoS 0 ones, or any
    /// when its queue is full (<paramref name="queueFull"/>), without a look at each.
    /// </summary>
    public void DropHeadBurst(bool queueFull)
    {
        if (_items.TryPeek(out (RetainedBurst? Burst, Delivery? Delivery) item) && item.Burst is not null && (queueFull || item.Burst.IsQoS0))
        {
            _items.Dequeue();
            RetainedRemaining -= item.Burst.Drop();
        }
    }

    /// <summary>
    /// Every delivery still to come, in order, without handing any on, and whether it is a retained one of a burst (a
    /// state file keeps the QoS 1/2 ones: all routed ones, retained ones as an offline queue would).
    /// </summary>
    public IEnumerable<(Delivery Delivery, bool Retained)> Waiting(long now)
    {
        foreach ((RetainedBurst? burst, Delivery? delivery) in _items)
        {
            if (delivery is not null)
            {
                yield return (delivery, false);
                continue;
            }
            foreach (Delivery retained in burst!.Waiting(now))
            {
                yield return (retained, true);
            }
        }
    }

    private void Count(Delivery delivery, int sign)
    {
        if (delivery.QoS == QualityOfService.AtMostOnce)
        {
            HeldQoS0 += sign;
        }
        else
        {
            HeldQoS12 += sign;
        }
    }
}
