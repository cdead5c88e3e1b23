namespace Mqtt.Security.EndToEnd;

/// <summary>How many sessions an <see cref="E2eReceiver"/> keeps open per sender, and for how long.</summary>
public sealed class E2eReceiverOptions
{
    /// <summary>The defaults: 8 sessions per sender, erased after two hours without a message.</summary>
    public static E2eReceiverOptions Default { get; } = new();

    /// <summary>
    /// Open sessions kept per sender (default 8). When a new one opens beyond this, the one that started
    /// first is erased, and messages from sessions that started no later than it are refused from then on.
    /// </summary>
    public int MaxSessionsPerSender { get; init; } = 8;

    /// <summary>A session unused for this long is erased (forward secrecy on the receiving side); default two hours.</summary>
    public TimeSpan SessionIdleTimeout { get; init; } = TimeSpan.FromHours(2);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSessionsPerSender, 1, nameof(MaxSessionsPerSender));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(SessionIdleTimeout, TimeSpan.Zero, nameof(SessionIdleTimeout));
    }
}
