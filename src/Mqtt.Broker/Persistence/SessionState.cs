namespace Mqtt.Broker;

/// <summary>
/// A session as saved or loaded: copies taken under its lock (<see cref="Session.Capture"/>), so saving never races the
/// connections still using it.
/// </summary>
internal sealed class SessionState
{
    public required string ClientId { get; init; }

    public string? UserName { get; init; }

    public uint ExpiryInterval { get; init; }

    /// <summary>When its last connection closed (<see cref="Environment.TickCount64"/>); the save itself for a connected session.</summary>
    public long DisconnectedAt { get; init; }

    /// <summary>
    /// Connected when saved. Loaded from an autosave after a crash, its client went away at some moment between the save
    /// and the restart, so its expiry counts from the restart (3.1.2.11 counts from the close): counted from the save,
    /// every client connected at a crash with an expiry shorter than the time since the last save lost its session.
    /// </summary>
    public bool WasConnected { get; init; }

    /// <summary>The last Packet Identifier given out, so a resumed session does not reuse a recent one at once.</summary>
    public ushort LastPacketId { get; init; }

    /// <summary>
    /// A digest of the user's credential file entry when saved (<see cref="CredentialTagLength"/> bytes), or empty: a
    /// user removed and made anew while the broker was down has another entry, and must not get the old one's session.
    /// </summary>
    public byte[] CredentialTag { get; set; } = [];

    public const int CredentialTagLength = 16;

    public List<SavedSubscription> Subscriptions { get; } = [];

    /// <summary>QoS 1/2 deliveries in flight, in the order they were first sent (<see cref="Delivery.FlightOrder"/>).</summary>
    public List<Delivery> Inflight { get; } = [];

    /// <summary>QoS 1/2 deliveries waiting for the flight window, oldest first.</summary>
    public List<Delivery> Queued { get; } = [];

    /// <summary>Packet ids of QoS 2 PUBLISHes received and not yet released by PUBREL.</summary>
    public List<ushort> IncomingQoS2 { get; } = [];
}
