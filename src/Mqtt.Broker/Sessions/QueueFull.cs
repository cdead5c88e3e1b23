namespace Mqtt.Broker;

/// <summary>What a session does with a QoS 1/2 message that finds its queue full (<see cref="Session.QueueLimit"/>).</summary>
internal enum QueueFull
{
    /// <summary>Drop it: nobody can wait (a Will, a $SYS topic, a client's message to itself).</summary>
    Drop,

    /// <summary>
    /// Take it, once, and have the publishing connection wait for room before it reads on
    /// (<see cref="Session.WaitForRoomAsync"/>), unless the session is offline or stalled: then drop it.
    /// </summary>
    HoldPublisher,

    /// <summary>
    /// Take it whatever the count: a Shared Subscription's message moved from a member whose session ended, which the
    /// broker held already.
    /// </summary>
    Exceed,
}
