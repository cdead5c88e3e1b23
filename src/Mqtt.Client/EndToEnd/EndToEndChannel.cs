using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Mqtt.Codec;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Client.EndToEnd;

/// <summary>
/// End-to-end messaging (docs/e2e.md) over one connected <see cref="MqttClient"/>, against any MQTT 5 broker:
/// publishes the user's signed announcement retained on <c>NAME/pubKey</c>, fetches and pins peers' announcements
/// from <c>PEER/pubKey</c>, seals to <c>NAME/PEER/messages</c> at QoS 1 and opens what arrives on
/// <c>PEER/NAME/messages</c>. It reads the client's messages itself: do not use <see cref="MqttClient.ReadMessagesAsync"/>
/// or <see cref="MqttClient.MessageReceived"/> alongside it. Create it before (or right after) connecting, so that
/// messages queued in a persistent session are routed here. Envelopes are acknowledged (PUBACK) when read from the
/// client, before they are opened, when the client acknowledges automatically; with
/// <see cref="MqttClientOptions.AutomaticAcknowledgement"/> off each envelope is acknowledged once opened, as
/// <see cref="ReadAsync"/> hands its result out, so envelopes never read stay with the broker's session for the next run.
/// </summary>
public sealed class EndToEndChannel : IAsyncDisposable
{
    private const string AnnouncementLevel = "pubKey";
    private const string MessagesLevel = "messages";

    /// <summary>QoS 0 envelopes waiting to be read beyond which further ones are dropped.</summary>
    public const int EnvelopeQueueCapacity = 1024;

    private readonly MqttClient client;
    private readonly E2eIdentity identity;
    private readonly TrustStore trust;
    private readonly KeyStore? store;
    private readonly E2eReceiver receiver;
    /// <summary>
    /// Envelopes not yet read. QoS 0 ones beyond <see cref="EnvelopeQueueCapacity"/> are dropped (at most once, as a
    /// broker drops them for a slow client): they escape the broker's flow control, so a flood would grow the queue
    /// without bound. QoS 1 and 2 ones are always kept: with <see cref="MqttClientOptions.AutomaticAcknowledgement"/>
    /// off (recv, chat) the broker sends no more than the Receive Maximum unacknowledged, and the pump never waits,
    /// since announcements that key agreement waits for arrive behind them. (Not SingleReader: that channel has no Count.)
    /// </summary>
    private readonly Channel<MqttApplicationMessage> envelopes = Channel.CreateUnbounded<MqttApplicationMessage>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly ConcurrentDictionary<string, byte[]> announcements = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> accepted = new(StringComparer.Ordinal); // the announcement last taken, per peer
    private readonly ConcurrentDictionary<string, TaskCompletionSource> announcementArrived = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, E2eSender> senders = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> subscribed = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stopping = new();
    private readonly Task pump;

    /// <summary>Starts routing the client's incoming messages.</summary>
    /// <param name="client">The client (connected or about to be).</param>
    /// <param name="identity">The user's own keys.</param>
    /// <param name="trust">The user's pins.</param>
    /// <param name="store">When given, the receiver's replay state is loaded from it, merged with it before each message is opened and saved after each accepted one.</param>
    public EndToEndChannel(MqttClient client, E2eIdentity identity, TrustStore trust, KeyStore? store = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(trust);
        this.client = client;
        this.identity = identity;
        this.trust = trust;
        this.store = store;
        receiver = new E2eReceiver(identity, trust);
        store?.LoadReplayState(receiver);
        pump = Task.Run(PumpAsync);
    }

    /// <summary>The user this channel sends and receives as.</summary>
    public string User => identity.User;

    /// <summary>The user's own fingerprint.</summary>
    public Fingerprint Fingerprint => identity.Fingerprint;

    /// <summary>The retained announcement topic of <paramref name="user"/>.</summary>
    /// <param name="user">A user name.</param>
    /// <returns><c>user/pubKey</c>.</returns>
    public static string AnnouncementTopic(string user) => $"{user}/{AnnouncementLevel}";

    /// <summary>Envelopes received and not yet read (tests).</summary>
    internal int PendingEnvelopes => envelopes.Reader.Count;

    /// <summary>The topic envelopes from <paramref name="sender"/> to <paramref name="recipient"/> travel on.</summary>
    /// <param name="sender">The sender.</param>
    /// <param name="recipient">The recipient.</param>
    /// <returns><c>sender/recipient/messages</c>.</returns>
    public static string MessagesTopic(string sender, string recipient) => $"{sender}/{recipient}/{MessagesLevel}";

    /// <summary>
    /// Publishes the user's announcement retained (QoS 1) on <c>NAME/pubKey</c> unless the broker's retained copy,
    /// awaited at most <paramref name="wait"/>, is already the same bytes. A copy missed by the wait only costs an
    /// identical re-publication.
    /// </summary>
    /// <param name="wait">How long to wait for the retained copy.</param>
    /// <param name="cancellationToken">Cancels the wait and the publication.</param>
    /// <returns>True when it was published.</returns>
    public async Task<bool> PublishAnnouncementAsync(TimeSpan wait, CancellationToken cancellationToken = default)
    {
        byte[]? current = await FetchAnnouncementBytesAsync(User, wait, cancellationToken).ConfigureAwait(false);
        ReadOnlyMemory<byte> mine = identity.Announcement.ToArray();
        if (current is not null && mine.Span.SequenceEqual(current))
        {
            return false;
        }
        MqttPublishResult result = await client.PublishAsync(AnnouncementTopic(User), mine, QualityOfService.AtLeastOnce, retain: true, cancellationToken).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            throw new MqttException($"publishing the announcement on {AnnouncementTopic(User)} was refused: {MqttReasonCodeText.Format(result.ReasonCode)}", result.ReasonCode);
        }
        return true;
    }

    /// <summary>
    /// Fetches <paramref name="peer"/>'s retained announcement (waiting at most <paramref name="wait"/>), verifies it and
    /// pins it (trust on first use). Without an announcement in time, an already pinned one is used.
    /// </summary>
    /// <param name="peer">The peer.</param>
    /// <param name="wait">How long to wait for the retained announcement.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>What the trust store made of it (<see cref="TrustResult.FirstUse"/>: show the fingerprint).</returns>
    /// <exception cref="E2eException">
    /// <see cref="E2eError.ChangedKey"/> (names both fingerprints), a refused announcement, or
    /// <see cref="E2eError.UnknownKey"/> when none arrived and nothing usable is pinned.
    /// </exception>
    public async Task<TrustResult> AgreeKeyAsync(string peer, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(peer);
        bool pinned = trust.TryGetPeer(peer, out TrustedPeer? known) && known.Announcement is not null;
        byte[]? bytes = await FetchAnnouncementBytesAsync(peer, wait, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            if (pinned)
            {
                CheckUsable(peer);
                return TrustResult.Unchanged;
            }
            throw new E2eException(E2eError.UnknownKey,
                $"no announcement of {peer} on {AnnouncementTopic(peer)} within {wait.TotalSeconds:0.###} s: {peer} has to run mqttcore once first") { User = peer };
        }
        TrustResult result = AcceptAnnouncement(peer, bytes);
        CheckUsable(peer);
        return result;
    }

    /// <summary>Seals <paramref name="plaintext"/> to <paramref name="peer"/> and publishes it on <c>NAME/PEER/messages</c> at QoS 1.</summary>
    /// <param name="peer">A peer whose key was agreed (<see cref="AgreeKeyAsync"/>) or is pinned with an announcement.</param>
    /// <param name="plaintext">The message.</param>
    /// <param name="cancellationToken">Cancels the publication.</param>
    /// <returns>The broker's answer.</returns>
    /// <exception cref="E2eException"><see cref="E2eError.ChangedKey"/> or <see cref="E2eError.UnknownKey"/>.</exception>
    public async Task<MqttPublishResult> SendAsync(string peer, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(peer);
        if (trust.TryGetPeer(peer, out _) && announcements.TryGetValue(peer, out byte[]? latest)
            && !(accepted.TryGetValue(peer, out byte[]? taken) && ReferenceEquals(taken, latest)))
        {
            // A newer announcement seen since (the peer rotated its agreement key): seal to the new key, before the peer
            // erases the old one; a changed identity is refused as at the start.
            AcceptAnnouncement(peer, latest);
            CheckUsable(peer);
        }
        E2eSender sender = senders.GetOrAdd(peer, p =>
        {
            if (!trust.TryGetPeer(p, out TrustedPeer? pinned))
            {
                throw new E2eException(E2eError.UnknownKey, $"no key pinned for {p}: agree keys first") { User = p };
            }
            return new E2eSender(identity, pinned, MessagesTopic(User, p));
        });
        byte[] envelope = sender.Seal(plaintext.Span);
        return await client.PublishAsync(MessagesTopic(User, peer), envelope, QualityOfService.AtLeastOnce, retain: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Subscribes (QoS 1) to <c>PEER/NAME/messages</c> and to <c>PEER/pubKey</c> (for key updates).</summary>
    /// <param name="peer">The peer to listen to.</param>
    /// <param name="cancellationToken">Cancels the subscription.</param>
    /// <returns>A task that completes once subscribed.</returns>
    public async Task ListenAsync(string peer, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(peer);
        await SubscribeAsync(AnnouncementTopic(peer), cancellationToken).ConfigureAwait(false);
        await SubscribeAsync(MessagesTopic(peer, User), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The envelopes addressed to this user as they arrive, opened: messages, duplicate warnings and failures. Ends
    /// when the channel is disposed; throws the client's <see cref="MqttException"/> once its connection is lost.
    /// </summary>
    /// <param name="cancellationToken">Ends the enumeration.</param>
    /// <returns>The results in arrival order.</returns>
    public async IAsyncEnumerable<EndToEndMessage> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChannelReader<MqttApplicationMessage> reader = envelopes.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out MqttApplicationMessage? message))
            {
                EndToEndMessage result = Open(message);
                // Opened, a message is on record as accepted (the replay state is saved): from here it must reach the
                // caller whatever the token says, or the broker's redelivery would be discarded as a duplicate.
                await client.AcknowledgeAsync(message, CancellationToken.None).ConfigureAwait(false);
                yield return result;
            }
        }
    }

    /// <summary>The latest announcement of <paramref name="user"/> this channel has seen, if any (for tests).</summary>
    internal byte[]? AnnouncementOf(string user) => announcements.TryGetValue(user, out byte[]? bytes) ? bytes : null;

    /// <summary>Saves the receiver's replay state to the key store (when one was given).</summary>
    public void SaveReplayState() => store?.SaveReplayState(receiver);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await pump.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The client's connection ended; nothing more to route.
        }
        SaveReplayState();
        foreach (E2eSender sender in senders.Values)
        {
            sender.Dispose();
        }
        receiver.Dispose();
        stopping.Dispose();
    }

    private EndToEndMessage Open(MqttApplicationMessage message)
    {
        string sender = message.Topic[..message.Topic.IndexOf('/', StringComparison.Ordinal)];
        byte[] plaintext = new byte[E2eEnvelope.GetMaxPlaintextLength(message.Payload.Length)];
        int written = 0;
        TrustResult? trusted = null;
        E2eError TryOpen()
        {
            E2eError error = receiver.TryOpen(sender, message.Topic, message.Payload.Span, plaintext, out written);
            if (error == E2eError.UnknownKey && announcements.TryGetValue(sender, out byte[]? latest))
            {
                trusted = AcceptAnnouncement(sender, latest);
                error = receiver.TryOpen(sender, message.Topic, message.Payload.Span, plaintext, out written);
            }
            return error;
        }
        E2eError error;
        try
        {
            // With a key store, as one step with the user's other receivers: what they accepted is refused here too.
            error = store is null ? TryOpen() : store.OpenRecorded(receiver, TryOpen);
        }
        catch (E2eException e) when (e.Error is not (E2eError.InsecureKeyFile or E2eError.CorruptKeyFile))
        {
            // The user's own files failing escape instead (recv exits 1) and the envelope stays unacknowledged for the next run.
            return Failure(sender, message.Topic, e);
        }
        switch (error)
        {
            case E2eError.None:
                return new EndToEndMessage
                {
                    Kind = EndToEndMessageKind.Message, Sender = sender, Topic = message.Topic, Plaintext = plaintext.AsMemory(0, written),
                    Trust = trusted is TrustResult.FirstUse or TrustResult.Rotated ? trusted : null,
                };
            case E2eError.Duplicate:
                return new EndToEndMessage { Kind = EndToEndMessageKind.Duplicate, Sender = sender, Topic = message.Topic, Error = error, Description = E2eException.Describe(error) };
            case E2eError.ChangedKey:
                trust.TryGetPeer(sender, out TrustedPeer? pinned);
                return new EndToEndMessage
                {
                    Kind = EndToEndMessageKind.Failure, Sender = sender, Topic = message.Topic, Error = error,
                    Description = $"{E2eException.Describe(error)} (pinned {pinned?.Fingerprint}, offered {pinned?.PendingAnnouncement?.Fingerprint})",
                };
            default:
                return new EndToEndMessage { Kind = EndToEndMessageKind.Failure, Sender = sender, Topic = message.Topic, Error = error, Description = E2eException.Describe(error) };
        }
    }

    private static EndToEndMessage Failure(string sender, string topic, E2eException e) => new()
    {
        Kind = EndToEndMessageKind.Failure, Sender = sender, Topic = topic, Error = e.Error,
        Description = e.Error == E2eError.ChangedKey
            ? $"{E2eException.Describe(e.Error)} (pinned {e.PinnedFingerprint}, offered {e.OfferedFingerprint})"
            : e.Message,
    };

    private TrustResult AcceptAnnouncement(string peer, byte[] bytes)
    {
        if (!KeyAnnouncement.TryParse(bytes, peer, out KeyAnnouncement? announcement, out E2eError error))
        {
            throw new E2eException(error, $"the announcement on {AnnouncementTopic(peer)} was refused: {E2eException.Describe(error)}") { User = peer };
        }
        TrustResult result = trust.Accept(announcement);
        accepted[peer] = bytes;
        if (result == TrustResult.Rotated && senders.TryGetValue(peer, out E2eSender? sender) && trust.TryGetPeer(peer, out TrustedPeer? now))
        {
            sender.UpdateRecipient(now);
        }
        return result;
    }

    private void CheckUsable(string peer)
    {
        if (!trust.TryGetPeer(peer, out TrustedPeer? pinned) || pinned.Announcement is null)
        {
            throw new E2eException(E2eError.UnknownKey, $"no announcement of {peer} matches the pinned fingerprint") { User = peer };
        }
        if (pinned.PendingAnnouncement is { } pending)
        {
            throw new E2eException(E2eError.ChangedKey,
                $"the identity key of {peer} changed: pinned {pinned.Fingerprint}, offered {pending.Fingerprint}")
            {
                User = peer, PinnedFingerprint = pinned.Fingerprint, OfferedFingerprint = pending.Fingerprint,
            };
        }
    }

    /// <summary>
    /// Our own announcement changed on the broker: another process (`keys rotate`) rotated the agreement key and saved it
    /// in the key store. Peers seal to the new key as soon as they see it, so load it now: the receiver opens with it, and
    /// sessions our senders start from now on are authenticated with it (peers check that key at a session's start only).
    /// </summary>
    private void TakeUpOwnRotation(ReadOnlySpan<byte> bytes)
    {
        if (!KeyAnnouncement.TryParse(bytes, User, out KeyAnnouncement? seen, out _)
            || !seen.Fingerprint.Equals(identity.Fingerprint) || seen.CreatedAt <= identity.Announcement.CreatedAt)
        {
            return; // ours already, older, or not signed by our identity key: nothing to load
        }
        try
        {
            identity.ReloadRotation();
        }
        catch (Exception e) when (e is E2eException or IOException or UnauthorizedAccessException)
        {
            // The key store cannot be read now: keep the keys held; messages sealed to the new one fail visibly.
        }
    }

    private async Task<byte[]?> FetchAnnouncementBytesAsync(string user, TimeSpan wait, CancellationToken cancellationToken)
    {
        TaskCompletionSource arrived = announcementArrived.GetOrAdd(user, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await SubscribeAsync(AnnouncementTopic(user), cancellationToken).ConfigureAwait(false);
        try
        {
            await arrived.Task.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Nothing retained (or not yet): the caller decides.
        }
        return announcements.TryGetValue(user, out byte[]? bytes) ? bytes : null;
    }

    private async Task SubscribeAsync(string topic, CancellationToken cancellationToken)
    {
        if (!subscribed.TryAdd(topic, true))
        {
            return;
        }
        MqttSubscribeResult result = await client.SubscribeAsync(topic, QualityOfService.AtLeastOnce, cancellationToken).ConfigureAwait(false);
        if (result.ReasonCodes.Count == 0 || (byte)result.ReasonCodes[0] >= 0x80)
        {
            subscribed.TryRemove(topic, out _);
            ReasonCode code = result.ReasonCodes.Count == 0 ? ReasonCode.UnspecifiedError : result.ReasonCodes[0];
            throw new MqttException($"subscription to {topic} refused: {MqttReasonCodeText.Format(code)}", code);
        }
    }

    private async Task PumpAsync()
    {
        try
        {
            await foreach (MqttApplicationMessage message in client.ReadMessagesAsync(stopping.Token).ConfigureAwait(false))
            {
                string[] levels = message.Topic.Split('/');
                bool envelope = levels.Length == 3 && levels[2] == MessagesLevel && levels[1] == User && levels[0].Length > 0;
                if (!envelope)
                {
                    await client.AcknowledgeAsync(message, stopping.Token).ConfigureAwait(false);
                }
                if (levels.Length == 2 && levels[1] == AnnouncementLevel && levels[0].Length > 0)
                {
                    if (message.Payload.Length > 0)
                    {
                        announcements[levels[0]] = message.Payload.ToArray();
                        if (levels[0] == User)
                        {
                            TakeUpOwnRotation(message.Payload.Span);
                        }
                        announcementArrived.GetOrAdd(levels[0], _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                    }
                }
                else if (envelope && (message.QoS != QualityOfService.AtMostOnce || envelopes.Reader.Count < EnvelopeQueueCapacity))
                {
                    envelopes.Writer.TryWrite(message);
                }
            }
        }
        catch (MqttException e)
        {
            // The connection ended: ReadAsync ends with why (recv exits 5, chat warns), not as if all had been read. Before,
            // recv with -C reported a timeout at once, and without it exited 0 (an E2E probe).
            envelopes.Writer.TryComplete(e);
            throw;
        }
        finally
        {
            envelopes.Writer.TryComplete();
        }
    }
}
