using Mqtt.Security.EndToEnd;

namespace Mqtt.Security.Tests.EndToEnd;

/// <summary>Trust on first use: pin, rotate under the pin, refuse another identity until trusted.</summary>
public sealed class TrustStoreTests : IDisposable
{
    private readonly ManualTimeProvider clock = new();
    private readonly TemporaryFolder folder = new();
    private readonly E2eIdentity bob;
    private readonly E2eIdentity carolPosingAsBob;

    public TrustStoreTests()
    {
        bob = E2eIdentity.Generate("bob", clock);
        carolPosingAsBob = E2eIdentity.Generate("bob", clock); // another identity key under bob's name
    }

    public static TheoryData<bool> Persistence => new() { false, true };

    public void Dispose()
    {
        bob.Dispose();
        carolPosingAsBob.Dispose();
        folder.Dispose();
    }

    [Theory]
    [MemberData(nameof(Persistence))]
    public void The_first_identity_key_seen_is_pinned(bool persistent)
    {
        TrustStore store = Store(persistent);

        Assert.Equal(TrustResult.FirstUse, store.Accept(bob.Announcement));
        Assert.Equal(TrustResult.Unchanged, store.Accept(bob.Announcement));

        TrustedPeer peer = Parties.PeerIn(store, "bob");
        Assert.Equal(bob.Fingerprint, peer.Fingerprint);
        Assert.Equal(bob.Announcement.Encoded.ToArray(), peer.Announcement!.Encoded.ToArray());
        Assert.False(peer.HasPendingChange);
    }

    [Theory]
    [MemberData(nameof(Persistence))]
    public void A_substituted_announcement_is_refused_as_ChangedKey_until_trusted(bool persistent)
    {
        TrustStore store = Store(persistent);
        store.Accept(bob.Announcement);

        E2eException e = Assert.Throws<E2eException>(() => store.Accept(carolPosingAsBob.Announcement));
        Assert.Equal(E2eError.ChangedKey, e.Error);
        Assert.Equal("bob", e.User);
        Assert.Equal(bob.Fingerprint, e.PinnedFingerprint);
        Assert.Equal(carolPosingAsBob.Fingerprint, e.OfferedFingerprint);
        Assert.Contains(carolPosingAsBob.Fingerprint.ToString(), e.Message, StringComparison.Ordinal);

        // Still refused on every later attempt, and the pinned key is still the one used.
        Assert.Equal(E2eError.ChangedKey, Assert.Throws<E2eException>(() => store.Accept(carolPosingAsBob.Announcement)).Error);
        TrustedPeer refused = Parties.PeerIn(store, "bob");
        Assert.Equal(bob.Fingerprint, refused.Fingerprint);
        Assert.True(refused.HasPendingChange);
        Assert.Equal(carolPosingAsBob.Fingerprint, refused.PendingAnnouncement!.Fingerprint);

        TrustedPeer trusted = store.Trust("bob", carolPosingAsBob.Fingerprint);

        Assert.Equal(carolPosingAsBob.Fingerprint, trusted.Fingerprint);
        Assert.Equal(carolPosingAsBob.Announcement.AgreementKey, trusted.Announcement!.AgreementKey);
        Assert.False(trusted.HasPendingChange);
        Assert.Equal(TrustResult.Unchanged, store.Accept(carolPosingAsBob.Announcement));
        Assert.Equal(E2eError.ChangedKey, Assert.Throws<E2eException>(() => store.Accept(bob.Announcement)).Error);
    }

    [Theory]
    [MemberData(nameof(Persistence))]
    public void Trusting_the_pinned_fingerprint_again_dismisses_a_pending_change(bool persistent)
    {
        TrustStore store = Store(persistent);
        store.Accept(bob.Announcement);
        Assert.Throws<E2eException>(() => store.Accept(carolPosingAsBob.Announcement));

        TrustedPeer peer = store.Trust("bob", bob.Fingerprint);

        Assert.False(peer.HasPendingChange);
        Assert.Equal(bob.Fingerprint, peer.Fingerprint);
        Assert.NotNull(peer.Announcement);
    }

    [Theory]
    [MemberData(nameof(Persistence))]
    public void A_fingerprint_trusted_before_any_announcement_accepts_only_that_identity(bool persistent)
    {
        TrustStore store = Store(persistent);
        TrustedPeer pinned = store.Trust("bob", bob.Fingerprint);
        Assert.Null(pinned.Announcement);

        Assert.Equal(E2eError.ChangedKey, Assert.Throws<E2eException>(() => store.Accept(carolPosingAsBob.Announcement)).Error);
        Assert.Equal(TrustResult.Trusted, store.Accept(bob.Announcement));
        Assert.NotNull(Parties.PeerIn(store, "bob").Announcement);
    }

    [Theory]
    [MemberData(nameof(Persistence))]
    public void A_newer_announcement_under_the_pinned_identity_rotates_and_an_older_one_is_ignored(bool persistent)
    {
        TrustStore store = Store(persistent);
        KeyAnnouncement first = bob.Announcement;
        store.Accept(first);
        clock.Advance(TimeSpan.FromMinutes(1));
        KeyAnnouncement second = bob.RotateAgreementKey();

        Assert.Equal(TrustResult.Rotated, store.Accept(second));
        Assert.Equal(TrustResult.Outdated, store.Accept(first)); // a stale retained copy cannot roll the key back

        TrustedPeer peer = Parties.PeerIn(store, "bob");
        Assert.Equal(second.AgreementKey, peer.Announcement!.AgreementKey);
        Assert.Equal(first.AgreementKey, peer.PreviousAnnouncement!.AgreementKey);
    }

    [Fact]
    public void Pins_survive_a_new_store_object_and_are_listed_and_forgotten()
    {
        TrustStore store = Store(persistent: true);
        store.Accept(bob.Announcement);
        using var alice = E2eIdentity.Generate("alice", clock);
        store.Accept(alice.Announcement);

        TrustStore reopened = Store(persistent: true);

        Assert.Equal(["alice", "bob"], reopened.ListPeers().Select(static p => p.User));
        Assert.Equal(bob.Fingerprint, Parties.PeerIn(reopened, "bob").Fingerprint);
        Assert.True(reopened.Forget("bob"));
        Assert.False(reopened.TryGetPeer("bob", out _));
        Assert.Equal(TrustResult.FirstUse, reopened.Accept(carolPosingAsBob.Announcement));
    }

    [Fact]
    public void Pin_files_are_0600_and_a_tampered_pin_file_is_refused_as_corrupt()
    {
        TrustStore store = Store(persistent: true);
        store.Accept(bob.Announcement);
        string file = Assert.Single(Directory.GetFiles(store.Directory!));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        string text = File.ReadAllText(file);
        File.WriteAllText(file, text.Replace(bob.Fingerprint.ToCompactString(), carolPosingAsBob.Fingerprint.ToCompactString(), StringComparison.Ordinal));

        Assert.Equal(E2eError.CorruptKeyFile, Assert.Throws<E2eException>(() => store.TryGetPeer("bob", out _)).Error);
    }

    private TrustStore Store(bool persistent)
    {
        if (!persistent)
        {
            return TrustStore.InMemory(clock);
        }

        return KeyStore.Open(folder.Path, "alice", clock).OpenTrustStore();
    }
}
