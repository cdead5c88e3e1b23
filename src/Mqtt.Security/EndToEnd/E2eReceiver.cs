using System.Buffers;
using System.Security.Cryptography;
using Mqtt.Security.Hpke;

namespace Mqtt.Security.EndToEnd;

/// <summary>
/// Opens envelopes sealed to one user by any trusted peer. The first envelope of a session it has not seen
/// that carries the session start costs one HPKE auth-mode decapsulation; the session is cached (once that
/// envelope authenticates) and every later envelope is one AES-256-GCM operation with no allocation. Each
/// session has a 64-message replay window: a message is accepted once, and a replay or QoS 1 redelivery
/// returns <see cref="E2eError.Duplicate"/> without touching the plaintext buffer (an altered copy of one is
/// <see cref="E2eError.Tampered"/>). Never throws on hostile
/// bytes. Thread-safe.
/// </summary>
public sealed class E2eReceiver : IDisposable
{
    private readonly Lock sync = new();
    private readonly E2eIdentity recipient;
    private readonly TrustStore trustStore;
    private readonly E2eReceiverOptions options;
    private readonly TimeProvider time;
    private readonly Dictionary<string, PeerSessions> peers = new(StringComparer.Ordinal);
    private readonly long idleTimeout; // milliseconds
    private readonly TopicEncoder topicEncoder = new();
    private string? lastSender; // most messages come from the sender of the previous one
    private PeerSessions? lastPeer;
    private bool disposed;

    /// <summary>Creates a receiver for <paramref name="recipient"/> that trusts the senders pinned in <paramref name="trustStore"/>.</summary>
    /// <param name="recipient">The receiving user's keys.</param>
    /// <param name="trustStore">Where senders' announcements are pinned; read only when a session starts.</param>
    /// <param name="options">Session cache settings; <see cref="E2eReceiverOptions.Default"/> when null.</param>
    /// <param name="timeProvider">The clock for idle sessions; the system clock when null.</param>
    public E2eReceiver(E2eIdentity recipient, TrustStore trustStore, E2eReceiverOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(trustStore);
        this.options = options ?? E2eReceiverOptions.Default;
        this.options.Validate();
        this.recipient = recipient;
        this.trustStore = trustStore;
        time = timeProvider ?? TimeProvider.System;
        idleTimeout = (long)Math.Ceiling(this.options.SessionIdleTimeout.TotalMilliseconds);
    }

    /// <summary>Sessions currently open, over all senders.</summary>
    public int SessionCount
    {
        get
        {
            lock (sync)
            {
                int count = 0;
                foreach (PeerSessions peer in peers.Values)
                {
                    count += peer.Count;
                }

                return count;
            }
        }
    }

    /// <summary>Opens an envelope received on <paramref name="topic"/> from <paramref name="sender"/>.</summary>
    /// <param name="sender">The sending user, as the topic names it (<c>&lt;sender&gt;/&lt;me&gt;/messages</c>).</param>
    /// <param name="topic">The topic the envelope arrived on.</param>
    /// <param name="envelope">The payload.</param>
    /// <param name="plaintext">Receives the message; <see cref="E2eEnvelope.GetMaxPlaintextLength"/> bytes always suffice.</param>
    /// <param name="bytesWritten">The message length on success, else 0.</param>
    /// <returns><see cref="E2eError.None"/>, or why the envelope was refused (nothing is then written).</returns>
    public E2eError TryOpen(string sender, string topic, ReadOnlySpan<byte> envelope, Span<byte> plaintext, out int bytesWritten)
    {
        ArgumentNullException.ThrowIfNull(topic);
        return TryOpenCore(sender, topic, [], envelope, plaintext, out bytesWritten);
    }

    /// <summary>Opens an envelope whose topic is given as UTF-8 bytes; see <see cref="TryOpen(string, string, ReadOnlySpan{byte}, Span{byte}, out int)"/>.</summary>
    /// <param name="sender">The sending user.</param>
    /// <param name="topicUtf8">The topic the envelope arrived on, UTF-8.</param>
    /// <param name="envelope">The payload.</param>
    /// <param name="plaintext">Receives the message.</param>
    /// <param name="bytesWritten">The message length on success, else 0.</param>
    /// <returns><see cref="E2eError.None"/>, or why the envelope was refused.</returns>
    public E2eError TryOpen(string sender, ReadOnlySpan<byte> topicUtf8, ReadOnlySpan<byte> envelope, Span<byte> plaintext, out int bytesWritten) =>
        TryOpenCore(sender, null, topicUtf8, envelope, plaintext, out bytesWritten);

    /// <summary>Opens an envelope into a new array.</summary>
    /// <param name="sender">The sending user.</param>
    /// <param name="topic">The topic the envelope arrived on.</param>
    /// <param name="envelope">The payload.</param>
    /// <returns>The message.</returns>
    /// <exception cref="E2eException">The envelope was refused; <see cref="E2eException.Error"/> says why.</exception>
    public byte[] Open(string sender, string topic, ReadOnlySpan<byte> envelope)
    {
        byte[] plaintext = new byte[E2eEnvelope.GetMaxPlaintextLength(envelope.Length)];
        E2eError error = TryOpen(sender, topic, envelope, plaintext, out int written);
        return error == E2eError.None
            ? plaintext.AsSpan(0, written).ToArray()
            : throw new E2eException(error);
    }

    /// <summary>Erases every session unused for longer than <see cref="E2eReceiverOptions.SessionIdleTimeout"/>; call it from a timer.</summary>
    /// <returns>The number of sessions erased.</returns>
    public int EvictIdleSessions()
    {
        lock (sync)
        {
            long now = MonotonicClock.Milliseconds(time);
            int evicted = 0;
            foreach (PeerSessions peer in peers.Values)
            {
                evicted += peer.EvictIdle(now, idleTimeout);
            }

            return evicted;
        }
    }

    /// <summary>
    /// Saves what the receiver needs to keep refusing messages it has accepted, across a restart: per
    /// sender, the sessions closed so far and the replay window of each open session. Holds no key and
    /// no plaintext; store it privately (<see cref="KeyStore.SaveReplayState"/>) when the program stops or
    /// periodically, and give it to the next receiver with <see cref="ImportReplayState"/>. Messages
    /// accepted after the last save can be accepted once more after a restart.
    /// </summary>
    /// <returns>The state, in the format <see cref="ImportReplayState"/> reads.</returns>
    public byte[] ExportReplayState()
    {
        lock (sync)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var state = new ReplayStateWriter();
            foreach ((string sender, PeerSessions peer) in peers)
            {
                state.AddPeer(sender, peer.ClosedUpTo, peer.Snapshot());
            }

            return state.ToArray();
        }
    }

    /// <summary>
    /// Merges in state saved by <see cref="ExportReplayState"/>: from a predecessor before opening anything, or at any
    /// time from another receiver of the same user (<see cref="KeyStore.OpenRecorded"/>); what either refuses is refused.
    /// </summary>
    /// <param name="state">The saved state.</param>
    /// <exception cref="E2eException"><see cref="E2eError.CorruptKeyFile"/> when the bytes are not a saved state.</exception>
    public void ImportReplayState(ReadOnlySpan<byte> state)
    {
        lock (sync)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            ReplayStateReader.Read(state, (sender, closedUpTo, id, start, window, hasSession) =>
            {
                PeerSessions peer = FindPeer(sender) ?? AddPeer(sender);
                peer.Restore(closedUpTo, id, start, window, hasSession);
            });
        }
    }

    /// <summary>Erases every session key.</summary>
    public void Dispose()
    {
        lock (sync)
        {
            disposed = true;
            foreach (PeerSessions peer in peers.Values)
            {
                peer.Clear();
            }

            peers.Clear();
            lastSender = null;
            lastPeer = null;
        }
    }

    private E2eError TryOpenCore(
        string sender, string? topic, ReadOnlySpan<byte> topicUtf8, ReadOnlySpan<byte> envelope, Span<byte> plaintext, out int bytesWritten)
    {
        ArgumentNullException.ThrowIfNull(sender);
        bytesWritten = 0;
        if (plaintext.Overlaps(envelope))
        {
            throw new ArgumentException("The plaintext buffer must not overlap the envelope.", nameof(plaintext));
        }

        E2eError error = EnvelopeHeader.TryRead(envelope, out EnvelopeHeader header);
        if (error != E2eError.None)
        {
            return error;
        }

        int length = header.CiphertextAndTag.Length - E2eEnvelope.TagSize;
        if (plaintext.Length < length)
        {
            return E2eError.DestinationTooSmall;
        }

        lock (sync)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (topic is null ? topicUtf8.Length > SessionBinding.MaxTopicBytes : !topicEncoder.TryEncode(topic, out topicUtf8))
            {
                return E2eError.Tampered; // no sender can have bound such a topic
            }

            long now = MonotonicClock.Milliseconds(time);
            PeerSessions? peer = FindPeer(sender);
            peer?.EvictIdle(now, idleTimeout);
            PeerSessions.Session? session = peer?.Find(header.SessionId);
            HpkeRecipientContext? started = null;
            if (session is null)
            {
                error = TryStartSession(sender, topicUtf8, peer, header, out started);
                if (error == E2eError.None && peer is not null)
                {
                    error = AuthenticIfRepeated(peer.RememberedWindow(header.SessionId).Check(header.Sequence), started!, header);
                    if (error != E2eError.None)
                    {
                        started!.Dispose();
                    }
                }
            }
            else
            {
                error = session.IsBoundTo(topicUtf8, header.SessionStart)
                    ? AuthenticIfRepeated(session.Window.Check(header.Sequence), session.Context, header)
                    : E2eError.Tampered;
            }

            if (error != E2eError.None)
            {
                return error;
            }

            try
            {
                // No associated data: the session's info binds the context and the nonce the sequence number (docs/e2e.md).
                (session?.Context ?? started!).Open(header.Sequence, [], header.CiphertextAndTag, plaintext);
            }
            catch (HpkeException)
            {
                started?.Dispose();
                return E2eError.Tampered;
            }

            if (started is not null)
            {
                peer ??= AddPeer(sender);
                session = peer.Add(header.SessionId, header.StartMilliseconds, topicUtf8, header.SessionStart, started);
            }

            session!.Window.Accept(header.Sequence);
            session.LastUsed = now;
            bytesWritten = length;
            return E2eError.None;
        }
    }

    /// <summary>
    /// A sequence number seen before is a <see cref="E2eError.Duplicate"/> only when this copy is authentic: an altered
    /// copy of an accepted message is <see cref="E2eError.Tampered"/>, not a harmless repeat. Opened into a pooled
    /// buffer that is cleared, so the caller's plaintext buffer stays untouched.
    /// </summary>
    private static E2eError AuthenticIfRepeated(E2eError check, HpkeRecipientContext context, in EnvelopeHeader header)
    {
        if (check != E2eError.Duplicate)
        {
            return check;
        }

        int length = header.CiphertextAndTag.Length - E2eEnvelope.TagSize;
        byte[] scratch = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            context.Open(header.Sequence, [], header.CiphertextAndTag, scratch.AsSpan(0, length));
            return E2eError.Duplicate;
        }
        catch (HpkeException)
        {
            return E2eError.Tampered;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scratch.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private PeerSessions? FindPeer(string sender)
    {
        if (lastPeer is not null && string.Equals(sender, lastSender, StringComparison.Ordinal))
        {
            return lastPeer;
        }

        if (peers.TryGetValue(sender, out PeerSessions? peer))
        {
            lastSender = sender;
            lastPeer = peer;
        }

        return peer;
    }

    private PeerSessions AddPeer(string sender)
    {
        var peer = new PeerSessions(options.MaxSessionsPerSender);
        peers.Add(sender, peer);
        lastSender = sender;
        lastPeer = peer;
        return peer;
    }

    /// <summary>Checks an unknown session's start against the recipient's keys, the sender's pins and the closed sessions, then decapsulates.</summary>
    private E2eError TryStartSession(
        string sender, ReadOnlySpan<byte> topicUtf8, PeerSessions? peer, EnvelopeHeader header, out HpkeRecipientContext? context)
    {
        context = null;
        if (!header.HasSessionStart)
        {
            return E2eError.UnknownSession;
        }

        if (!recipient.HoldsAgreementKey(header.RecipientKeyId))
        {
            return E2eError.WrongRecipient;
        }

        if (peer is not null && !peer.MayOpen(header.StartMilliseconds))
        {
            return E2eError.ReorderedBeyondWindow;
        }

        TrustedPeer? trusted;
        try
        {
            if (!trustStore.TryGetPeer(sender, out trusted))
            {
                return E2eError.UnknownKey;
            }
        }
        catch (E2eException e)
        {
            return e.Error;
        }

        if (trusted.FindAgreementKey(header.SenderKeyId) is not { } senderAnnouncement)
        {
            return trusted.PendingAnnouncement?.AgreementKeyId == header.SenderKeyId ? E2eError.ChangedKey : E2eError.UnknownKey;
        }

        byte[] info = SessionBinding.Info(header.SessionId, header.StartMilliseconds, topicUtf8, sender, recipient.User);
        context = recipient.TrySetupRecipient(header.RecipientKeyId, header.Enc, info, senderAnnouncement.AgreementKey, out E2eError error);
        return error;
    }
}
