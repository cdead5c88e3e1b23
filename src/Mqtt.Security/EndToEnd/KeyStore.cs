using System.Globalization;
using System.Security.Cryptography;
using Mqtt.Security.Hpke;

namespace Mqtt.Security.EndToEnd;

/// <summary>
/// One user's key store folder (<c>&lt;root&gt;/&lt;user&gt;</c>, mode 0700; CLI.md's <c>--keys DIR</c> is the root):
/// <c>identity.pem</c> and <c>agreement.pem</c> (PKCS#8 PEM, mode 0600), <c>announcement.bin</c> (the signed
/// announcement), <c>agreement.retired.&lt;ms&gt;.pem</c> (keys replaced by rotation, newest kept) and
/// <c>peers/</c> (the <see cref="TrustStore"/>), <c>client-id.tag</c> (<see cref="ClientIdTag"/>) and <c>replay.bin</c> (receivers' saved replay state, written under
/// the lock <c>replay.lock</c>). Every file is written to a temporary name with mode 0600
/// and renamed into place, so a crash never leaves half a key; loading refuses files other users can access.
/// </summary>
public sealed class KeyStore
{
    private const string IdentityFile = "identity.pem";
    private const string AgreementFile = "agreement.pem";
    private const string AnnouncementFile = "announcement.bin";
    private const string RetiredPrefix = "agreement.retired.";
    private const string PemSuffix = ".pem";
    private const string PeersFolder = "peers";
    private const string ReplayStateFile = "replay.bin";
    private const string ReplayLockFile = "replay.lock";
    private const string ClientIdTagFile = "client-id.tag";

    /// <summary>How long <see cref="SaveReplayState"/> waits for another receiver's save (a few milliseconds each).</summary>
    private static readonly TimeSpan ReplayLockPatience = TimeSpan.FromSeconds(10);

    private readonly TimeProvider time;

    private KeyStore(string directory, string user, TimeProvider time)
    {
        Directory = directory;
        User = user;
        this.time = time;
    }

    /// <summary>The user whose keys the folder holds.</summary>
    public string User { get; }

    /// <summary>The user's folder.</summary>
    public string Directory { get; }

    /// <summary>True when the folder holds an identity key.</summary>
    public bool HasIdentity => File.Exists(PathOf(IdentityFile));

    /// <summary>Opens (creating with mode 0700 if needed) the folder for <paramref name="user"/> under <paramref name="root"/>.</summary>
    /// <param name="root">The key store root, e.g. <c>~/.mqttcore/keys</c>.</param>
    /// <param name="user">A valid user name; names that are not plain ASCII map to '~' and a hash.</param>
    /// <param name="timeProvider">The clock for announcement times; the system clock when null.</param>
    /// <returns>The key store.</returns>
    public static KeyStore Open(string root, string user, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (!UserName.IsValid(user))
        {
            throw new ArgumentException("Not a valid user name.", nameof(user));
        }

        string directory = Path.Combine(Path.GetFullPath(root), KeyFiles.SafeName(user));
        KeyFiles.CreatePrivateFolder(root);
        KeyFiles.CreatePrivateFolder(directory);
        KeyFiles.MakeFolderPrivate(directory);
        return new KeyStore(directory, user, timeProvider ?? TimeProvider.System);
    }

    /// <summary>Loads the identity, creating the keys first when the folder has none.</summary>
    /// <returns>The identity; the caller disposes it.</returns>
    /// <exception cref="E2eException"><see cref="E2eError.InsecureKeyFile"/> or <see cref="E2eError.CorruptKeyFile"/>.</exception>
    public E2eIdentity LoadOrCreateIdentity()
    {
        if (!HasIdentity)
        {
            using ECDsa created = IdentitySignature.GenerateKey();
            KeyFiles.WriteAtomically(PathOf(IdentityFile), KeyFiles.ToPem(created.ExportPkcs8PrivateKey()), overwrite: false);
        }

        return LoadIdentity();
    }

    /// <summary>
    /// Loads the identity. A missing or stale agreement key or announcement (a crash during creation or
    /// rotation) is repaired: a new agreement key is made and the announcement signed again.
    /// </summary>
    /// <returns>The identity; the caller disposes it.</returns>
    /// <exception cref="FileNotFoundException">The folder holds no identity key.</exception>
    /// <exception cref="E2eException"><see cref="E2eError.InsecureKeyFile"/> or <see cref="E2eError.CorruptKeyFile"/>.</exception>
    public E2eIdentity LoadIdentity()
    {
        if (!HasIdentity)
        {
            throw new FileNotFoundException($"No identity key for {User}.", PathOf(IdentityFile));
        }

        var disposables = new List<IDisposable>();
        try
        {
            ECDsa identityKey = ECDsa.Create();
            disposables.Add(identityKey);
            KeyFiles.ImportPem(PathOf(IdentityFile), identityKey);

            HpkePrivateKey agreementKey = LoadOrCreateAgreementKey();
            disposables.Add(agreementKey);

            List<HpkePrivateKey> retired = LoadRetired(agreementKey);
            disposables.AddRange(retired);

            KeyAnnouncement announcement = LoadAnnouncement(identityKey, agreementKey);
            return new E2eIdentity(User, identityKey, agreementKey, announcement, retired, this, time);
        }
        catch
        {
            foreach (IDisposable disposable in disposables)
            {
                disposable.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// A random tag made once and kept in <c>client-id.tag</c>, for client ids that must stay the same across runs
    /// (a persistent session's) and that nobody else can guess: a broker that refuses a client id held by another
    /// user would otherwise let anyone take the id first and lock its owner out.
    /// </summary>
    /// <returns>12 lowercase hex digits.</returns>
    /// <exception cref="E2eException"><see cref="E2eError.InsecureKeyFile"/> or <see cref="E2eError.CorruptKeyFile"/>.</exception>
    public string ClientIdTag()
    {
        string path = PathOf(ClientIdTagFile);
        KeyFiles.WriteAtomically(path, System.Text.Encoding.ASCII.GetBytes(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))), overwrite: false);
        string tag = System.Text.Encoding.ASCII.GetString(KeyFiles.ReadPrivate(path));
        return tag.Length == 12 && tag.All(char.IsAsciiHexDigitLower)
            ? tag
            : throw new E2eException(E2eError.CorruptKeyFile, $"{path} does not hold 12 hex digits");
    }

    /// <summary>The trust store in this folder's <c>peers/</c>.</summary>
    /// <returns>The trust store.</returns>
    public TrustStore OpenTrustStore()
    {
        string peers = PathOf(PeersFolder);
        KeyFiles.CreatePrivateFolder(peers);
        return new TrustStore(peers, time);
    }

    /// <summary>
    /// Saves an <see cref="E2eReceiver"/>'s replay state (<see cref="E2eReceiver.ExportReplayState"/>) in
    /// <c>replay.bin</c>, mode 0600, atomically, so a restarted receiver keeps refusing what it accepted. Several
    /// receivers of this user may run at once, each knowing only what it accepted itself: under an exclusive lock on
    /// <c>replay.lock</c> the saved state is read and merged with this one (per sender the later closed-up-to time and
    /// the union of the sessions' windows), so a save never forgets what another receiver saved.
    /// </summary>
    /// <param name="receiver">The receiver to save.</param>
    /// <exception cref="E2eException"><see cref="E2eError.InsecureKeyFile"/> or <see cref="E2eError.CorruptKeyFile"/> for the saved state.</exception>
    /// <exception cref="IOException">Another receiver held the lock for more than 10 seconds.</exception>
    public void SaveReplayState(E2eReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        using FileStream held = KeyFiles.LockExclusively(PathOf(ReplayLockFile), ReplayLockPatience);
        SaveReplayStateHeld(receiver, saved: File.Exists(PathOf(ReplayStateFile)) ? KeyFiles.ReadPrivate(PathOf(ReplayStateFile)) : null);
    }

    /// <summary>
    /// Opens a message with <paramref name="open"/> as one step with every receiver of this user: under the lock on
    /// <c>replay.lock</c>, what the others saved is merged into <paramref name="receiver"/> first, and an acceptance
    /// (<see cref="E2eError.None"/>) is saved before the lock is let go. So a message another receiver (a `recv` beside a
    /// `chat`) accepted while this one ran is refused here as a duplicate; before, this one knew only what was saved
    /// when it started, and a replayed envelope was shown a second time.
    /// </summary>
    /// <param name="receiver">The receiver that opens.</param>
    /// <param name="open">Opens the message with <paramref name="receiver"/>.</param>
    /// <returns>What <paramref name="open"/> returned.</returns>
    /// <exception cref="E2eException"><see cref="E2eError.InsecureKeyFile"/> or <see cref="E2eError.CorruptKeyFile"/> for the saved state.</exception>
    /// <exception cref="IOException">Another receiver held the lock for more than 10 seconds.</exception>
    public E2eError OpenRecorded(E2eReceiver receiver, Func<E2eError> open)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(open);
        using FileStream held = KeyFiles.LockExclusively(PathOf(ReplayLockFile), ReplayLockPatience);
        byte[]? saved = File.Exists(PathOf(ReplayStateFile)) ? KeyFiles.ReadPrivate(PathOf(ReplayStateFile)) : null;
        if (saved is not null)
        {
            receiver.ImportReplayState(saved);
        }

        E2eError error = open();
        if (error == E2eError.None)
        {
            SaveReplayStateHeld(receiver, saved);
        }

        return error;
    }

    /// <summary>Writes the receiver's state merged with <paramref name="saved"/> (the file's, read under the lock).</summary>
    private void SaveReplayStateHeld(E2eReceiver receiver, byte[]? saved)
    {
        byte[] state = receiver.ExportReplayState();
        if (saved is not null)
        {
            state = ReplayStateMerge.Merge(saved, state);
        }

        KeyFiles.WriteAtomically(PathOf(ReplayStateFile), state, overwrite: true);
    }

    /// <summary>Restores the replay state saved by <see cref="SaveReplayState"/> into a new receiver; does nothing when none was saved.</summary>
    /// <param name="receiver">A receiver that has not opened anything yet.</param>
    /// <returns>True when a saved state was restored.</returns>
    /// <exception cref="E2eException"><see cref="E2eError.InsecureKeyFile"/> or <see cref="E2eError.CorruptKeyFile"/>.</exception>
    public bool LoadReplayState(E2eReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        string path = PathOf(ReplayStateFile);
        if (!File.Exists(path))
        {
            return false;
        }

        receiver.ImportReplayState(KeyFiles.ReadPrivate(path));
        return true;
    }

    /// <summary>Persists a rotation: the old key as retired, the new key, the new announcement, then prunes.</summary>
    internal void SaveRotation(HpkePrivateKey old, HpkePrivateKey next, KeyAnnouncement nextAnnouncement, int keepRetired)
    {
        long stamp = time.GetUtcNow().ToUnixTimeMilliseconds();
        string retiredPath;
        do
        {
            retiredPath = PathOf(RetiredPrefix + stamp.ToString("D13", CultureInfo.InvariantCulture) + PemSuffix);
            stamp++;
        }
        while (!KeyFiles.WriteAtomically(retiredPath, KeyFiles.ToPem(old.Key.ExportPkcs8PrivateKey()), overwrite: false));

        KeyFiles.WriteAtomically(PathOf(AgreementFile), KeyFiles.ToPem(next.Key.ExportPkcs8PrivateKey()), overwrite: true);
        KeyFiles.WriteAtomically(PathOf(AnnouncementFile), nextAnnouncement.Encoded, overwrite: true);

        string[] files = RetiredFilesNewestFirst();
        for (int i = keepRetired; i < files.Length; i++)
        {
            File.Delete(files[i]);
        }
    }

    private HpkePrivateKey LoadOrCreateAgreementKey()
    {
        string path = PathOf(AgreementFile);
        if (!File.Exists(path))
        {
            using HpkePrivateKey created = DhkemP256.GenerateKeyPair();
            KeyFiles.WriteAtomically(path, KeyFiles.ToPem(created.Key.ExportPkcs8PrivateKey()), overwrite: false);
        }

        return LoadAgreementKey(path);
    }

    private static HpkePrivateKey LoadAgreementKey(string path)
    {
        ECDiffieHellman key = ECDiffieHellman.Create();
        try
        {
            KeyFiles.ImportPem(path, key);
            return new HpkePrivateKey(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private List<HpkePrivateKey> LoadRetired(HpkePrivateKey current)
    {
        var keys = new List<HpkePrivateKey>();
        foreach (string file in RetiredFilesNewestFirst())
        {
            if (keys.Count == E2eIdentity.MaxRetiredAgreementKeys)
            {
                File.Delete(file);
                continue;
            }

            HpkePrivateKey key = LoadAgreementKey(file);
            if (key.PublicKey.Equals(current.PublicKey) || keys.Exists(k => k.PublicKey.Equals(key.PublicKey)))
            {
                key.Dispose(); // a rotation interrupted before agreement.pem was replaced
                continue;
            }

            keys.Add(key);
        }

        return keys;
    }

    private KeyAnnouncement LoadAnnouncement(ECDsa identityKey, HpkePrivateKey agreementKey)
    {
        string path = PathOf(AnnouncementFile);
        if (File.Exists(path)
            && KeyAnnouncement.TryParse(File.ReadAllBytes(path), User, out KeyAnnouncement? stored, out _)
            && stored.IdentityKey.SequenceEqual(IdentitySignature.ExportPoint(identityKey))
            && stored.AgreementKey.Equals(agreementKey.PublicKey))
        {
            return stored;
        }

        KeyAnnouncement announcement = KeyAnnouncement.Create(User, identityKey, agreementKey.PublicKey, time.GetUtcNow());
        KeyFiles.WriteAtomically(path, announcement.Encoded, overwrite: true);
        return announcement;
    }

    private string[] RetiredFilesNewestFirst()
    {
        string[] files = System.IO.Directory.GetFiles(Directory, RetiredPrefix + "*" + PemSuffix);
        Array.Sort(files, static (a, b) => string.CompareOrdinal(b, a)); // fixed-width stamps sort as text
        return files;
    }

    private string PathOf(string name) => Path.Combine(Directory, name);
}
