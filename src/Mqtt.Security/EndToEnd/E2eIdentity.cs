using System.Security.Cryptography;
using Mqtt.Security.Hpke;

namespace Mqtt.Security.EndToEnd;

/// <summary>
/// A user's own end-to-end keys: the long-term identity key (ECDSA P-256, signs announcements only),
/// the current key-agreement key (DHKEM(P-256), used by HPKE in auth mode both to receive and to
/// authenticate as a sender), the signed announcement for them, and up to
/// <see cref="MaxRetiredAgreementKeys"/> replaced agreement keys kept so that messages sealed before a
/// rotation still open. Load one from a <see cref="KeyStore"/>, or <see cref="Generate"/> one in memory.
/// Thread-safe. Dispose it to release the private keys.
/// </summary>
public sealed class E2eIdentity : IDisposable
{
    /// <summary>Replaced agreement keys kept after a rotation; older ones are erased.</summary>
    public const int MaxRetiredAgreementKeys = 2;

    private static readonly HpkeSuite Suite = HpkeSuite.DhkemP256HkdfSha256Aes256Gcm;

    private readonly Lock sync = new();
    private readonly ECDsa identityKey;
    private readonly List<(ulong Id, HpkePrivateKey Key)> retired = [];
    private readonly KeyStore? store;
    private readonly TimeProvider time;
    private HpkePrivateKey agreementKey;
    private KeyAnnouncement announcement;
    private bool disposed;

    internal E2eIdentity(
        string user,
        ECDsa identityKey,
        HpkePrivateKey agreementKey,
        KeyAnnouncement announcement,
        IEnumerable<HpkePrivateKey> retiredNewestFirst,
        KeyStore? store,
        TimeProvider time)
    {
        User = user;
        this.identityKey = identityKey;
        this.agreementKey = agreementKey;
        this.announcement = announcement;
        this.store = store;
        this.time = time;
        foreach (HpkePrivateKey key in retiredNewestFirst)
        {
            retired.Add((KeyAnnouncement.KeyIdOf(key.PublicKey), key));
        }
    }

    /// <summary>The user these keys belong to.</summary>
    public string User { get; }

    /// <summary>The identity key's fingerprint, to show the user and compare out of band.</summary>
    public Fingerprint Fingerprint => Announcement.Fingerprint;

    /// <summary>The current signed announcement, to publish retained on <c>&lt;user&gt;/pubKey</c>.</summary>
    public KeyAnnouncement Announcement
    {
        get
        {
            lock (sync)
            {
                return announcement;
            }
        }
    }

    /// <summary>Creates a new identity in memory only (nothing is written to disk).</summary>
    /// <param name="user">A valid user name (<see cref="UserName.IsValid(string?)"/>).</param>
    /// <param name="timeProvider">The clock for announcement times; the system clock when null.</param>
    /// <returns>The identity; the caller disposes it.</returns>
    public static E2eIdentity Generate(string user, TimeProvider? timeProvider = null) =>
        Create(user, IdentitySignature.GenerateKey(), DhkemP256.GenerateKeyPair(), store: null, timeProvider ?? TimeProvider.System);

    /// <summary>
    /// Replaces the agreement key with a new one signed by the same identity key and returns the new
    /// announcement to publish. The old key is kept (at most <see cref="MaxRetiredAgreementKeys"/>) to open
    /// sessions sealed to it; older keys are erased. Persisted first when the identity came from a key store.
    /// </summary>
    /// <returns>The new announcement.</returns>
    public KeyAnnouncement RotateAgreementKey()
    {
        lock (sync)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            HpkePrivateKey next = DhkemP256.GenerateKeyPair();
            DateTimeOffset created = time.GetUtcNow();
            if (created <= announcement.CreatedAt)
            {
                created = announcement.CreatedAt.AddMilliseconds(1); // peers only accept a newer announcement
            }

            KeyAnnouncement nextAnnouncement = KeyAnnouncement.Create(User, identityKey, next.PublicKey, created);
            store?.SaveRotation(agreementKey, next, nextAnnouncement, MaxRetiredAgreementKeys);

            retired.Insert(0, (announcement.AgreementKeyId, agreementKey));
            while (retired.Count > MaxRetiredAgreementKeys)
            {
                retired[^1].Key.Dispose();
                retired.RemoveAt(retired.Count - 1);
            }

            agreementKey = next;
            announcement = nextAnnouncement;
            return nextAnnouncement;
        }
    }

    /// <summary>
    /// Takes up a rotation that another process saved in this identity's key store (<c>keys rotate</c> while a
    /// receiver runs): when the store's announcement is newer than this one and signed by the same identity key,
    /// its current and retired agreement keys replace these. Does nothing for an identity without a key store.
    /// </summary>
    /// <returns>True when the agreement keys changed.</returns>
    /// <exception cref="E2eException"><see cref="E2eError.InsecureKeyFile"/> or <see cref="E2eError.CorruptKeyFile"/>.</exception>
    public bool ReloadRotation()
    {
        if (store is null)
        {
            return false;
        }

        using E2eIdentity saved = store.LoadIdentity();
        lock (sync)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (!saved.announcement.Fingerprint.Equals(announcement.Fingerprint) || saved.announcement.CreatedAt <= announcement.CreatedAt)
            {
                return false;
            }

            // Swapped, not copied: disposing `saved` then erases the keys this identity held before.
            (agreementKey, saved.agreementKey) = (saved.agreementKey, agreementKey);
            (announcement, saved.announcement) = (saved.announcement, announcement);
            var replaced = new List<(ulong, HpkePrivateKey)>(retired);
            retired.Clear();
            retired.AddRange(saved.retired);
            saved.retired.Clear();
            saved.retired.AddRange(replaced);
            return true;
        }
    }

    /// <summary>Releases every private key.</summary>
    public void Dispose()
    {
        lock (sync)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            identityKey.Dispose();
            agreementKey.Dispose();
            foreach ((_, HpkePrivateKey key) in retired)
            {
                key.Dispose();
            }

            retired.Clear();
        }
    }

    /// <summary>Signs a fresh announcement for the given keys (key store loading and <see cref="Generate"/>).</summary>
    internal static E2eIdentity Create(
        string user, ECDsa identityKey, HpkePrivateKey agreementKey, KeyStore? store, TimeProvider time, IEnumerable<HpkePrivateKey>? retired = null)
    {
        KeyAnnouncement announcement = KeyAnnouncement.Create(user, identityKey, agreementKey.PublicKey, time.GetUtcNow());
        return new E2eIdentity(user, identityKey, agreementKey, announcement, retired ?? [], store, time);
    }

    /// <summary>True when <paramref name="keyId"/> names the current or a retired agreement key.</summary>
    internal bool HoldsAgreementKey(ulong keyId)
    {
        lock (sync)
        {
            return FindAgreementKey(keyId) is not null;
        }
    }

    /// <summary>SetupAuthS to a recipient with the current agreement key as skS; reports which key that was.</summary>
    internal (byte[] Enc, HpkeSenderContext Context, ulong SenderKeyId) SetupSender(HpkePublicKey recipient, ReadOnlySpan<byte> info)
    {
        lock (sync)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            (byte[] enc, HpkeSenderContext context) = Suite.SetupAuthS(recipient, info, agreementKey);
            return (enc, context, announcement.AgreementKeyId);
        }
    }

    /// <summary>SetupAuthR with the agreement key named <paramref name="recipientKeyId"/>; never throws on a hostile enc.</summary>
    internal HpkeRecipientContext? TrySetupRecipient(
        ulong recipientKeyId, ReadOnlySpan<byte> enc, ReadOnlySpan<byte> info, HpkePublicKey sender, out E2eError error)
    {
        lock (sync)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (FindAgreementKey(recipientKeyId) is not { } key)
            {
                error = E2eError.WrongRecipient;
                return null;
            }

            try
            {
                error = E2eError.None;
                return Suite.SetupAuthR(enc, key, info, sender);
            }
            catch (HpkeException)
            {
                error = E2eError.Malformed; // enc is not a valid point, or the DH result is unusable
                return null;
            }
        }
    }

    private HpkePrivateKey? FindAgreementKey(ulong keyId)
    {
        if (keyId == announcement.AgreementKeyId)
        {
            return agreementKey;
        }

        foreach ((ulong id, HpkePrivateKey key) in retired)
        {
            if (id == keyId)
            {
                return key;
            }
        }

        return null;
    }
}
