using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Mqtt.Security.Hpke;

namespace Mqtt.Security.EndToEnd;

/// <summary>
/// Seals messages from one user to one peer on one topic (e.g. <c>alice/bob/messages</c>). Each session
/// starts with an HPKE auth-mode encapsulation (a fresh ephemeral key, authenticated by the sender's
/// announced agreement key) to the peer's announced agreement key; each message is then one AES-256-GCM
/// operation at the next sequence number, with no allocation. Sessions rotate after
/// <see cref="E2eSenderOptions.MaxMessagesPerSession"/> messages or <see cref="E2eSenderOptions.MaxSessionAge"/>,
/// and the old key is erased. Thread-safe.
/// </summary>
public sealed class E2eSender : IDisposable
{
    private readonly Lock sync = new();
    private readonly E2eIdentity sender;
    private readonly E2eSenderOptions options;
    private readonly TimeProvider time;
    private readonly byte[] topicUtf8;
    private readonly ulong sessionStartInterval;
    private readonly byte[] sessionStart = new byte[E2eEnvelope.SessionStartSize];
    private readonly string recipientUser;
    private TrustedPeer recipient;
    private HpkeSenderContext? context;
    private UInt128 sessionId;
    private long sessionStartMilliseconds = long.MinValue;
    private long sessionStartedAt; // monotonic milliseconds
    private readonly long maxSessionAge; // milliseconds
    private bool rotationDue;
    private bool disposed;

    /// <summary>Prepares to seal to <paramref name="recipient"/>; the first <see cref="Seal(ReadOnlySpan{byte}, Span{byte})"/> starts the first session.</summary>
    /// <param name="sender">The sending user's keys.</param>
    /// <param name="recipient">The recipient as pinned in the trust store, with an accepted announcement.</param>
    /// <param name="topic">The topic the envelopes will be published on; bound into every session.</param>
    /// <param name="options">Rotation settings; <see cref="E2eSenderOptions.Default"/> when null.</param>
    /// <param name="timeProvider">The clock for rotation by age; the system clock when null.</param>
    /// <exception cref="E2eException">
    /// <see cref="E2eError.ChangedKey"/> when the recipient has a refused key change pending;
    /// <see cref="E2eError.UnknownKey"/> when no announcement has been accepted for the pinned fingerprint yet.
    /// </exception>
    public E2eSender(E2eIdentity sender, TrustedPeer recipient, string topic, E2eSenderOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(topic);
        this.options = options ?? E2eSenderOptions.Default;
        this.options.Validate();
        CheckUsable(recipient);
        this.sender = sender;
        this.recipient = recipient;
        recipientUser = recipient.User;
        time = timeProvider ?? TimeProvider.System;
        maxSessionAge = (long)Math.Ceiling(this.options.MaxSessionAge.TotalMilliseconds);
        sessionStartInterval = (ulong)this.options.SessionStartInterval;
        Topic = topic;
        topicUtf8 = Encoding.UTF8.GetBytes(topic);
        if (topicUtf8.Length > SessionBinding.MaxTopicBytes)
        {
            throw new ArgumentException("An MQTT topic is at most 65,535 bytes of UTF-8.", nameof(topic));
        }
    }

    /// <summary>The topic bound into every envelope.</summary>
    public string Topic { get; }

    /// <summary>Sessions started so far (each is one public-key operation).</summary>
    public long SessionsStarted { get; private set; }

    /// <summary>The largest envelope <paramref name="plaintextLength"/> bytes can seal to.</summary>
    /// <param name="plaintextLength">The message length.</param>
    /// <returns>plaintextLength + 133.</returns>
    public static int GetMaxEnvelopeLength(int plaintextLength) => E2eEnvelope.GetMaxEnvelopeLength(plaintextLength);

    /// <summary>
    /// Seals one message into a caller buffer, starting a new session first when the current one is used
    /// up or too old. Allocates nothing except when a session starts.
    /// </summary>
    /// <param name="plaintext">The message; must not overlap <paramref name="envelope"/>.</param>
    /// <param name="envelope">At least <see cref="GetMaxEnvelopeLength"/> bytes.</param>
    /// <returns>The envelope's length.</returns>
    public int Seal(ReadOnlySpan<byte> plaintext, Span<byte> envelope)
    {
        if (plaintext.Overlaps(envelope))
        {
            throw new ArgumentException("The plaintext and the envelope must not overlap.", nameof(envelope));
        }

        lock (sync)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            long now = MonotonicClock.Milliseconds(time);
            if (context is null
                || rotationDue
                || context.SequenceNumber >= (ulong)options.MaxMessagesPerSession
                || now - sessionStartedAt >= maxSessionAge)
            {
                StartSession(now);
            }

            ulong sequence = context!.SequenceNumber;
            bool withStart = sessionStartInterval == 1 || sequence % sessionStartInterval == 0; // 1 is the default: no division
            int headerLength = withStart ? E2eEnvelope.HeaderSize + E2eEnvelope.SessionStartSize : E2eEnvelope.HeaderSize;
            int length = headerLength + plaintext.Length + E2eEnvelope.TagSize;
            if (envelope.Length < length)
            {
                throw new ArgumentException("The envelope buffer is too small; size it with GetMaxEnvelopeLength.", nameof(envelope));
            }

            E2eEnvelope.Magic.CopyTo(envelope);
            envelope[2] = E2eEnvelope.CurrentVersion;
            envelope[3] = withStart ? E2eEnvelope.SessionStartFlag : (byte)0;
            BinaryPrimitives.WriteUInt128BigEndian(envelope[4..], sessionId);
            BinaryPrimitives.WriteUInt64BigEndian(envelope[(4 + E2eEnvelope.SessionIdSize)..], sequence);
            if (withStart)
            {
                sessionStart.CopyTo(envelope[E2eEnvelope.HeaderSize..]);
            }

            // No associated data: the session's info binds the context and the nonce the sequence number (docs/e2e.md).
            context.Seal([], plaintext, envelope[headerLength..]);
            return length;
        }
    }

    /// <summary>Seals one message into a new array; see <see cref="Seal(ReadOnlySpan{byte}, Span{byte})"/>.</summary>
    /// <param name="plaintext">The message.</param>
    /// <returns>The envelope.</returns>
    public byte[] Seal(ReadOnlySpan<byte> plaintext)
    {
        byte[] buffer = new byte[GetMaxEnvelopeLength(plaintext.Length)];
        int length = Seal(plaintext, buffer);
        return length == buffer.Length ? buffer : buffer.AsSpan(0, length).ToArray();
    }

    /// <summary>
    /// Takes a newer trust store snapshot of the recipient (e.g. after <see cref="TrustStore.Accept"/> reported
    /// <see cref="TrustResult.Rotated"/>); the next message starts a session to the new agreement key.
    /// </summary>
    /// <param name="peer">The recipient as now pinned.</param>
    /// <exception cref="E2eException"><see cref="E2eError.ChangedKey"/> for another identity or a pending change; <see cref="E2eError.UnknownKey"/>.</exception>
    public void UpdateRecipient(TrustedPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (!string.Equals(peer.User, recipientUser, StringComparison.Ordinal))
        {
            throw new ArgumentException("The peer is another user than this sender's recipient.", nameof(peer));
        }

        CheckUsable(peer);
        lock (sync)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (!peer.Fingerprint.Equals(recipient.Fingerprint))
            {
                throw new E2eException(E2eError.ChangedKey, $"The identity key of {peer.User} changed; create a new sender after trusting it.")
                {
                    User = peer.User,
                    PinnedFingerprint = recipient.Fingerprint,
                    OfferedFingerprint = peer.Fingerprint,
                };
            }

            rotationDue |= peer.Announcement!.AgreementKeyId != recipient.Announcement!.AgreementKeyId;
            recipient = peer;
        }
    }

    /// <summary>Makes the next message start a new session (e.g. after the sender's own agreement key rotated).</summary>
    public void Rotate()
    {
        lock (sync)
        {
            rotationDue = true;
        }
    }

    /// <summary>Erases the current session key.</summary>
    public void Dispose()
    {
        lock (sync)
        {
            disposed = true;
            context?.Dispose();
            context = null;
        }
    }

    private static void CheckUsable(TrustedPeer peer)
    {
        if (peer.PendingAnnouncement is { } pending)
        {
            throw new E2eException(
                E2eError.ChangedKey,
                $"The identity key of {peer.User} changed: pinned {peer.Fingerprint}, offered {pending.Fingerprint}. Not sending until it is trusted.")
            {
                User = peer.User,
                PinnedFingerprint = peer.Fingerprint,
                OfferedFingerprint = pending.Fingerprint,
            };
        }

        if (peer.Announcement is null)
        {
            throw new E2eException(E2eError.UnknownKey, $"No announcement of {peer.User} with the trusted fingerprint has been seen yet.");
        }
    }

    private void StartSession(long now)
    {
        // Start times only grow, so a receiver can refuse sessions older than one it has closed.
        long startMilliseconds = Math.Max(time.GetUtcNow().ToUnixTimeMilliseconds(), sessionStartMilliseconds + 1);
        UInt128 id = BinaryPrimitives.ReadUInt128BigEndian(RandomNumberGenerator.GetBytes(E2eEnvelope.SessionIdSize));
        KeyAnnouncement peerAnnouncement = recipient.Announcement!;
        byte[] info = SessionBinding.Info(id, startMilliseconds, topicUtf8, sender.User, recipientUser);
        (byte[] enc, HpkeSenderContext next, ulong senderKeyId) = sender.SetupSender(peerAnnouncement.AgreementKey, info);

        context?.Dispose(); // erases the old session key before the new one is used
        context = next;
        sessionId = id;
        sessionStartMilliseconds = startMilliseconds;
        sessionStartedAt = now;
        rotationDue = false;
        SessionsStarted++;

        Span<byte> start = sessionStart;
        BinaryPrimitives.WriteUInt64BigEndian(start, senderKeyId);
        BinaryPrimitives.WriteUInt64BigEndian(start[8..], peerAnnouncement.AgreementKeyId);
        BinaryPrimitives.WriteInt64BigEndian(start[16..], startMilliseconds);
        enc.CopyTo(start[24..]);
    }
}
