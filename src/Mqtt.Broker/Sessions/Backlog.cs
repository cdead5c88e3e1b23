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
    /// Forgets all but the next <paramref name="count"/> messages of the burst at the head, if a burst is there, at once:
    /// an offline session keeps no more than its queue has room for, and none at QoS 0.
    /// </summary>
    public void KeepOfHeadBurst(int count)
    {
        if (_items.TryPeek(out (RetainedBurst? Burst, Delivery? Delivery) item) && item.Burst is not null)
        {
            RetainedRemaining -= item.Burst.KeepAtMost(item.Burst.IsQoS0 ? 0 : count);
        }
    }

    /// <summary>
    /// Every routed delivery still to come, and the retained ones among the next <paramref name="retainedRoom"/>
    /// messages of each burst at QoS 1/2, in order, without handing any on: a state file keeps the QoS 1/2 ones, the
    /// retained ones as an offline queue would.
    /// </summary>
    public IEnumerable<Delivery> Waiting(long now, int retainedRoom)
    {
        foreach ((RetainedBurst? burst, Delivery? delivery) in _items)
        {
            if (delivery is not null)
            {
                yield return delivery;
                continue;
            }
            if (burst!.IsQoS0)
            {
                continue;
            }
            foreach (Delivery retained in burst.Waiting(now, retainedRoom))
            {
                retainedRoom--;
                yield return retained;
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
