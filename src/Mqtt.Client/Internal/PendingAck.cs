using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>A SUBSCRIBE or UNSUBSCRIBE waiting for its SUBACK or UNSUBACK, holding its Packet Identifier.</summary>
internal sealed class PendingAck(PacketType expected, int filterCount)
{
    public PacketType Expected { get; } = expected;

    /// <summary>How many filters were sent: a 3.1.1 UNSUBACK has no codes, so Success is reported for each.</summary>
    public int FilterCount { get; } = filterCount;

    public TaskCompletionSource<object> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Run under the client's lock when the acknowledgement arrives, whether or not the request still waits for it: the
    /// server's record of the subscriptions changes then, also for a request whose caller gave up.
    /// </summary>
    public Action<object>? AcknowledgedLocked { get; init; }
}
