namespace Mqtt.Broker;

/// <summary>What became of a message handed to a session.</summary>
internal enum DeliveryOutcome
{
    /// <summary>Dropped: QoS 0 to an offline or backed-up client, or a full queue (<see cref="QueueFull"/>).</summary>
    Dropped,

    /// <summary>Not for this session any more: every subscription it matched was unsubscribed meanwhile.</summary>
    Unsubscribed,

    /// <summary>
    /// Not taken: the session has ended, and this QoS 1/2 message came through a Shared Subscription, whose group is to
    /// give it to another member (4.8.2).
    /// </summary>
    MemberEnded,

    /// <summary>Sent, in flight or queued.</summary>
    Accepted,

    /// <summary>Queued past the session's limit: the publisher is to wait for room (<see cref="Session.WaitForRoomAsync"/>).</summary>
    AcceptedOverLimit,
}
