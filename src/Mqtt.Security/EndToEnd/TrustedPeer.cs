namespace Mqtt.Security.EndToEnd;

/// <summary>
/// What the trust store knows about one peer: the pinned identity fingerprint, the accepted announcement
/// under it (and the one it replaced, whose agreement key may still seal late messages), and a refused
/// announcement under another identity key awaiting <see cref="TrustStore.Trust"/>. An immutable snapshot.
/// </summary>
public sealed class TrustedPeer
{
    internal TrustedPeer(
        string user,
        Fingerprint fingerprint,
        DateTimeOffset pinnedAt,
        KeyAnnouncement? announcement,
        KeyAnnouncement? previousAnnouncement,
        KeyAnnouncement? pendingAnnouncement)
    {
        User = user;
        Fingerprint = fingerprint;
        PinnedAt = pinnedAt;
        Announcement = announcement;
        PreviousAnnouncement = previousAnnouncement;
        PendingAnnouncement = pendingAnnouncement;
    }

    /// <summary>The peer's user name.</summary>
    public string User { get; }

    /// <summary>The pinned identity key fingerprint.</summary>
    public Fingerprint Fingerprint { get; }

    /// <summary>When the fingerprint was pinned (first use or <see cref="TrustStore.Trust"/>).</summary>
    public DateTimeOffset PinnedAt { get; }

    /// <summary>The accepted announcement; null when the fingerprint was trusted before any announcement was seen.</summary>
    public KeyAnnouncement? Announcement { get; }

    /// <summary>The announcement <see cref="Announcement"/> replaced under the same identity, if any.</summary>
    public KeyAnnouncement? PreviousAnnouncement { get; }

    /// <summary>The last refused announcement under a different identity key, if any: the key change to show the user.</summary>
    public KeyAnnouncement? PendingAnnouncement { get; }

    /// <summary>True when a different identity key was offered and not yet accepted or dismissed: do not send.</summary>
    public bool HasPendingChange => PendingAnnouncement is not null;

    /// <summary>The trusted agreement key with id <paramref name="keyId"/>, current or previous.</summary>
    internal KeyAnnouncement? FindAgreementKey(ulong keyId) =>
        Announcement?.AgreementKeyId == keyId ? Announcement
        : PreviousAnnouncement?.AgreementKeyId == keyId ? PreviousAnnouncement
        : null;
}
