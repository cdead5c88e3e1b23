namespace Mqtt.Broker;

/// <summary>What a session's <see cref="Backlog"/> waits for before more of it can go to the connection.</summary>
internal enum BacklogWait
{
    /// <summary>Nothing: it was all handed on, or it is no longer this connection's.</summary>
    None,

    /// <summary>The connection's output to fall back within its byte bound (a QoS 0 message is next).</summary>
    Output,

    /// <summary>Room in the session's queue (a QoS 1/2 message is next).</summary>
    QueueRoom,
}
