using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Mqtt.Security.EndToEnd;

/// <summary>
/// Trust on first use (SECURITY.md section 5): the first identity key seen for a user is pinned; later
/// announcements under it may rotate the agreement key; an announcement under any other identity key is
/// refused with <see cref="E2eError.ChangedKey"/> (and remembered as pending) until the user accepts its
/// fingerprint with <see cref="Trust"/>. Persistent stores keep one JSON file (mode 0600) per peer and
/// re-read it on every lookup, so a <c>keys trust</c> in another process takes effect at the next session.
/// Thread-safe.
/// </summary>
public sealed class TrustStore
{
    private const int FileFormat = 1;
    private const string PinSuffix = ".pin";

    private readonly Lock sync = new();
    private readonly string? directory;
    private readonly TimeProvider time;
    private readonly Dictionary<string, TrustedPeer> memory = new(StringComparer.Ordinal);

    internal TrustStore(string? directory, TimeProvider time)
    {
        this.directory = directory;
        this.time = time;
    }

    /// <summary>The folder holding the pins; null for an in-memory store.</summary>
    public string? Directory => directory;

    /// <summary>A trust store that lives only as long as the object (tests, one-shot tools).</summary>
    /// <param name="timeProvider">The clock for pin times; the system clock when null.</param>
    /// <returns>An empty store.</returns>
    public static TrustStore InMemory(TimeProvider? timeProvider = null) => new(null, timeProvider ?? TimeProvider.System);

    /// <summary>Applies trust on first use to a verified announcement.</summary>
    /// <param name="announcement">An announcement, already parsed (and so signature-checked) for the user whose topic carried it.</param>
    /// <returns>What changed.</returns>
    /// <exception cref="E2eException">
    /// <see cref="E2eError.ChangedKey"/> when another identity key is pinned for the user; the exception names both
    /// fingerprints and the announcement is kept as <see cref="TrustedPeer.PendingAnnouncement"/>.
    /// </exception>
    public TrustResult Accept(KeyAnnouncement announcement)
    {
        ArgumentNullException.ThrowIfNull(announcement);
        lock (sync)
        {
            string user = announcement.User;
            if (!TryLoad(user, out TrustedPeer? pinned))
            {
                Save(new TrustedPeer(user, announcement.Fingerprint, time.GetUtcNow(), announcement, null, null));
                return TrustResult.FirstUse;
            }

            if (!pinned.Fingerprint.Equals(announcement.Fingerprint))
            {
                if (pinned.PendingAnnouncement is not { } pending || pending.CreatedAt <= announcement.CreatedAt)
                {
                    Save(new TrustedPeer(user, pinned.Fingerprint, pinned.PinnedAt, pinned.Announcement, pinned.PreviousAnnouncement, announcement));
                }

                throw new E2eException(
                    E2eError.ChangedKey,
                    $"The identity key of {user} changed: pinned {pinned.Fingerprint}, offered {announcement.Fingerprint}. "
                    + "Compare the new fingerprint with the peer out of band, then trust it.")
                {
                    User = user,
                    PinnedFingerprint = pinned.Fingerprint,
                    OfferedFingerprint = announcement.Fingerprint,
                };
            }

            if (pinned.Announcement is not { } current)
            {
                Save(new TrustedPeer(user, pinned.Fingerprint, pinned.PinnedAt, announcement, null, pinned.PendingAnnouncement));
                return TrustResult.Trusted;
            }

            if (announcement.CreatedAt <= current.CreatedAt)
            {
                return announcement.Encoded.SequenceEqual(current.Encoded) ? TrustResult.Unchanged : TrustResult.Outdated;
            }

            bool rotated = announcement.AgreementKeyId != current.AgreementKeyId;
            Save(new TrustedPeer(
                user,
                pinned.Fingerprint,
                pinned.PinnedAt,
                announcement,
                rotated ? current : pinned.PreviousAnnouncement,
                pinned.PendingAnnouncement));
            return rotated ? TrustResult.Rotated : TrustResult.Unchanged;
        }
    }

    /// <summary>
    /// Accepts <paramref name="fingerprint"/> for <paramref name="user"/> (<c>keys trust PEER FINGERPRINT</c>):
    /// adopts the pending announcement if it has this fingerprint, dismisses a pending change if the
    /// fingerprint is the pinned one, or else pins the fingerprint before any announcement is seen.
    /// </summary>
    /// <param name="user">The peer.</param>
    /// <param name="fingerprint">The fingerprint the user compared out of band.</param>
    /// <returns>The peer as now pinned.</returns>
    public TrustedPeer Trust(string user, Fingerprint fingerprint)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        if (!UserName.IsValid(user))
        {
            throw new ArgumentException("Not a valid user name.", nameof(user));
        }

        lock (sync)
        {
            DateTimeOffset now = time.GetUtcNow();
            TryLoad(user, out TrustedPeer? pinned);
            TrustedPeer trusted = pinned switch
            {
                { PendingAnnouncement: { } pending } when pending.Fingerprint.Equals(fingerprint) =>
                    new TrustedPeer(user, fingerprint, now, pending, null, null),
                not null when pinned.Fingerprint.Equals(fingerprint) =>
                    new TrustedPeer(user, fingerprint, pinned.PinnedAt, pinned.Announcement, pinned.PreviousAnnouncement, null),
                _ => new TrustedPeer(user, fingerprint, now, null, null, null),
            };
            Save(trusted);
            return trusted;
        }
    }

    /// <summary>Looks up a peer.</summary>
    /// <param name="user">The peer's user name.</param>
    /// <param name="peer">The pinned state.</param>
    /// <returns>False when nothing is pinned for the user.</returns>
    /// <exception cref="E2eException"><see cref="E2eError.InsecureKeyFile"/> or <see cref="E2eError.CorruptKeyFile"/>.</exception>
    public bool TryGetPeer(string user, [NotNullWhen(true)] out TrustedPeer? peer)
    {
        ArgumentNullException.ThrowIfNull(user);
        lock (sync)
        {
            return TryLoad(user, out peer);
        }
    }

    /// <summary>Every pinned peer (<c>keys list</c>), ordered by user name.</summary>
    /// <returns>The peers.</returns>
    public IReadOnlyList<TrustedPeer> ListPeers()
    {
        lock (sync)
        {
            var peers = new List<TrustedPeer>();
            if (directory is null)
            {
                peers.AddRange(memory.Values);
            }
            else
            {
                foreach (string file in System.IO.Directory.GetFiles(directory, "*" + PinSuffix))
                {
                    peers.Add(Read(file));
                }
            }

            peers.Sort(static (a, b) => string.CompareOrdinal(a.User, b.User));
            return peers;
        }
    }

    /// <summary>Removes a peer's pin, so the next announcement is trusted on first use again.</summary>
    /// <param name="user">The peer.</param>
    /// <returns>True when a pin was removed.</returns>
    public bool Forget(string user)
    {
        ArgumentNullException.ThrowIfNull(user);
        lock (sync)
        {
            if (directory is null)
            {
                return memory.Remove(user);
            }

            string path = PathOf(user);
            bool existed = File.Exists(path);
            File.Delete(path);
            return existed;
        }
    }

    private bool TryLoad(string user, [NotNullWhen(true)] out TrustedPeer? peer)
    {
        if (directory is null)
        {
            return memory.TryGetValue(user, out peer);
        }

        peer = null;
        if (!UserName.IsValid(user))
        {
            return false;
        }

        string path = PathOf(user);
        if (!File.Exists(path))
        {
            return false;
        }

        peer = Read(path);
        if (!string.Equals(peer.User, user, StringComparison.Ordinal))
        {
            throw Corrupt(path);
        }

        return true;
    }

    private void Save(TrustedPeer peer)
    {
        if (directory is null)
        {
            memory[peer.User] = peer;
            return;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("format", FileFormat);
            writer.WriteString("user", peer.User);
            writer.WriteString("fingerprint", peer.Fingerprint.ToCompactString());
            writer.WriteNumber("pinnedAt", peer.PinnedAt.ToUnixTimeMilliseconds());
            WriteAnnouncement(writer, "announcement", peer.Announcement);
            WriteAnnouncement(writer, "previous", peer.PreviousAnnouncement);
            WriteAnnouncement(writer, "pending", peer.PendingAnnouncement);
            writer.WriteEndObject();
        }

        KeyFiles.WriteAtomically(PathOf(peer.User), buffer.WrittenSpan, overwrite: true);
    }

    private static void WriteAnnouncement(Utf8JsonWriter writer, string name, KeyAnnouncement? announcement)
    {
        if (announcement is not null)
        {
            writer.WriteBase64String(name, announcement.Encoded);
        }
    }

    /// <summary>Reads a pin file, re-verifying every announcement in it and its consistency with the pin.</summary>
    private static TrustedPeer Read(string path)
    {
        byte[] bytes = KeyFiles.ReadPrivate(path);
        try
        {
            using JsonDocument document = JsonDocument.Parse(bytes);
            JsonElement root = document.RootElement;
            if (root.GetProperty("format").GetInt32() != FileFormat
                || root.GetProperty("user").GetString() is not { } user
                || !UserName.IsValid(user)
                || !Fingerprint.TryParse(root.GetProperty("fingerprint").GetString(), out Fingerprint? fingerprint))
            {
                throw Corrupt(path);
            }

            var pinnedAt = DateTimeOffset.FromUnixTimeMilliseconds(root.GetProperty("pinnedAt").GetInt64());
            KeyAnnouncement? current = ReadAnnouncement(root, "announcement", user, path);
            KeyAnnouncement? previous = ReadAnnouncement(root, "previous", user, path);
            KeyAnnouncement? pending = ReadAnnouncement(root, "pending", user, path);
            if ((current is not null && !current.Fingerprint.Equals(fingerprint))
                || (previous is not null && (current is null || !previous.Fingerprint.Equals(fingerprint)))
                || (pending is not null && pending.Fingerprint.Equals(fingerprint)))
            {
                throw Corrupt(path);
            }

            return new TrustedPeer(user, fingerprint, pinnedAt, current, previous, pending);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentOutOfRangeException)
        {
            throw new E2eException(E2eError.CorruptKeyFile, $"{path} is not a valid pin file.", e);
        }
    }

    private static KeyAnnouncement? ReadAnnouncement(JsonElement root, string name, string user, string path)
    {
        if (!root.TryGetProperty(name, out JsonElement element))
        {
            return null;
        }

        return KeyAnnouncement.TryParse(element.GetBytesFromBase64(), user, out KeyAnnouncement? announcement, out _)
            ? announcement
            : throw Corrupt(path);
    }

    private static E2eException Corrupt(string path) => new(E2eError.CorruptKeyFile, $"{path} is not a valid pin file.");

    private string PathOf(string user) => Path.Combine(directory!, KeyFiles.SafeName(user) + PinSuffix);
}
