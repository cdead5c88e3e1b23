using Mqtt.Codec;

namespace Mqtt.Broker;

/// <summary>One message on its way to one session: what to send, and where its QoS 1/2 flow stands.</summary>
internal sealed class Delivery
{
    public Delivery(ApplicationMessage message, QualityOfService qos, bool retain, SubscriptionIdentifiers subscriptionIdentifiers)
    {
        Message = message;
        QoS = qos;
        Retain = retain;
        SubscriptionIdentifiers = subscriptionIdentifiers;
    }

    public ApplicationMessage Message { get; }

    public QualityOfService QoS { get; }

    public bool Retain { get; }

    public SubscriptionIdentifiers SubscriptionIdentifiers { get; }

    /// <summary>Assigned when the PUBLISH is first sent; 0 while queued.</summary>
    public ushort PacketId { get; set; }

    /// <summary>When it went into flight, relative to the session's other deliveries; resends keep this order.</summary>
    public long FlightOrder { get; set; }

    /// <summary>Sent at least once, so a resend carries DUP [MQTT-3.3.1-1].</summary>
    public bool Sent { get; set; }

    /// <summary>In flight from an earlier connection, not yet resent on this one (its window was full).</summary>
    public bool AwaitingResend { get; set; }

    /// <summary>QoS 2: PUBREC came back, PUBREL is due or sent; the PUBLISH is never sent again (4.3.3).</summary>
    public bool Released { get; set; }

    /// <summary>
    /// The member's subscription a Shared Subscription delivered it through, else null: should the member's session end
    /// before the member has it, it goes back to the group (<see cref="Session.TakeUnfinishedSharedDeliveries"/>). Not kept
    /// in the state file: a delivery restored from it stays with its session.
    /// </summary>
    public SubscriptionEntry? SharedThrough { get; init; }

    /// <summary>A copy of the delivery as it stands, for the state file (without <see cref="SharedThrough"/>).</summary>
    public Delivery Copy() => new(Message, QoS, Retain, SubscriptionIdentifiers)
    {
        PacketId = PacketId,
        FlightOrder = FlightOrder,
        Sent = Sent,
        Released = Released,
    };
}
