namespace Mqtt.Security.EndToEnd;

/// <summary>When an <see cref="E2eSender"/> starts a new session, and how often it repeats the session start.</summary>
public sealed class E2eSenderOptions
{
    /// <summary>The defaults: 100,000 messages or one hour per session, session start in every envelope.</summary>
    public static E2eSenderOptions Default { get; } = new();

    /// <summary>
    /// Messages sealed under one session key before a new session (new ephemeral key) starts.
    /// Between 1 and 2^32; default 100,000, so that a session start (milliseconds of public-key work on
    /// each side) costs little per message; <see cref="MaxSessionAge"/> bounds a key's lifetime at low rates.
    /// </summary>
    public long MaxMessagesPerSession { get; init; } = 100_000;

    /// <summary>Age after which the next message starts a new session; default one hour. Must be positive.</summary>
    public TimeSpan MaxSessionAge { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The session start (65-byte enc and key ids, 89 bytes) is carried by messages whose sequence number
    /// is a multiple of this. 1 (the default) puts it in every envelope, so a receiver that joins late, restarts
    /// or loses a QoS 0 message opens the very next one; n saves bandwidth but a late joiner waits up to n - 1 messages.
    /// </summary>
    public int SessionStartInterval { get; init; } = 1;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessagesPerSession, 1, nameof(MaxMessagesPerSession));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxMessagesPerSession, 1L << 32, nameof(MaxMessagesPerSession));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxSessionAge, TimeSpan.Zero, nameof(MaxSessionAge));
        ArgumentOutOfRangeException.ThrowIfLessThan(SessionStartInterval, 1, nameof(SessionStartInterval));
    }
}
