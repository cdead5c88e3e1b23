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

    /// <summary>Routed deliveries waiting behind the bursts.</summary>
    public int HeldDeliveries { get; private set; }

    /// <summary>Retained messages of the bursts not yet handed on.</summary>
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
        HeldDeliveries++;
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

    /// <summary>The delivery <see cref="TryPeek"/> gave was handed on.</summary>
    public void Advance()
    {
        (RetainedBurst? burst, Delivery? delivery) = _items.Peek();
        if (delivery is not null)
        {
            _items.Dequeue();
            HeldDeliveries--;
        }
        else
        {
            burst!.Advance();
            RetainedRemaining--;
        }
    }

    /// <summary>The held QoS 1/2 deliveries, in order: a state file keeps them as queued.</summary>
    public IEnumerable<Delivery> HeldQoS12()
    {
        foreach ((_, Delivery? delivery) in _items)
        {
            if (delivery is { QoS: not Codec.QualityOfService.AtMostOnce })
            {
                yield return delivery;
            }
        }
    }
}
