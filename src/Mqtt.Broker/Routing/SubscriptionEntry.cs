using Mqtt.Codec;

namespace Mqtt.Broker;

/// <summary>One session's subscription to one Topic Filter, with its options (3.8.3.1).</summary>
internal sealed class SubscriptionEntry
{
    public SubscriptionEntry(Session session, string filter, Subscription options, int subscriptionIdentifier)
    {
        Session = session;
        Filter = filter;
        ShareGroup = SharedFilter.TryParse(filter, out string? group, out string topicFilter) ? group : null;
        TopicFilter = topicFilter;
        MaximumQoS = options.MaximumQoS;
        NoLocal = options.NoLocal;
        RetainAsPublished = options.RetainAsPublished;
        RetainHandling = options.RetainHandling;
        SubscriptionIdentifier = subscriptionIdentifier;
        EncodedIdentifier = subscriptionIdentifier == 0 ? default : SubscriptionIdentifiers.Create(subscriptionIdentifier);
    }

    public Session Session { get; }

    /// <summary>The filter as subscribed, "$share/group/" prefix included.</summary>
    public string Filter { get; }

    /// <summary>The filter matched against topics (without any share prefix).</summary>
    public string TopicFilter { get; }

    /// <summary>Share Name for a Shared Subscription, else null.</summary>
    public string? ShareGroup { get; }

    public QualityOfService MaximumQoS { get; }

    public bool NoLocal { get; }

    public bool RetainAsPublished { get; }

    public RetainHandling RetainHandling { get; }

    /// <summary>0 when the SUBSCRIBE carried none.</summary>
    public int SubscriptionIdentifier { get; }

    /// <summary>The identifier in wire form, made once so deliveries need not encode it.</summary>
    public SubscriptionIdentifiers EncodedIdentifier { get; }

    /// <summary>
    /// Removed by an UNSUBSCRIBE (set under the session's gate): a message routed through it just before, not yet handed to
    /// the session, is not delivered after the UNSUBACK [MQTT-3.10.4-2].
    /// </summary>
    public bool Unsubscribed { get; set; }

    /// <summary>The entry a later SUBSCRIBE of the same filter replaced this one with (set under the session's gate).</summary>
    public SubscriptionEntry? ReplacedBy { get; set; }

    /// <summary>Unsubscribed, itself or the entry that replaced it last: the filter's subscription it was part of has ended.</summary>
    public bool HasEnded
    {
        get
        {
            SubscriptionEntry latest = this;
            while (latest.ReplacedBy is SubscriptionEntry next)
            {
                latest = next;
            }
            return latest.Unsubscribed;
        }
    }

    /// <summary>Where a plain subscription sits in its <see cref="SubscriberSet"/>, so removing it costs no search.</summary>
    internal int PlainIndex { get; set; }
}
