using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>
/// An MQTT 5 / 3.1.1 client. Connect with <see cref="ConnectAsync"/>, then publish, subscribe and read incoming
/// messages through <see cref="ReadMessagesAsync"/> or <see cref="MessageReceived"/>. The client keeps the session
/// state (Packet Identifiers in use, unacknowledged QoS 1 and 2 messages both ways) across reconnections.
/// </summary>
public sealed partial class MqttClient : IAsyncDisposable, IFrameHandler
{
    private readonly MqttClientOptions _options;
    private readonly ILogger? _logger;
    private readonly object _sync = new();
    private readonly SendQuota _quota = new();
    // Outgoing flows by Packet Identifier: OutgoingPublish or PendingAck.
    private readonly Dictionary<ushort, object> _pending = new();
    // QoS 2 messages received and not yet released by PUBREL: the receiver's dedup state (section 4.3.3, method B).
    // Only a receipt each, never the message: a server holding PUBREL back must not pin the payloads.
    private readonly Dictionary<ushort, ExactlyOnceReceipt> _incomingExactlyOnce = new();
    // QoS 1 messages received on this connection and not yet acknowledged.
    private readonly HashSet<ushort> _incomingAtLeastOnce = new();
    private readonly List<MqttTopicFilter> _subscriptions = new();
    private Channel<MqttApplicationMessage> _messages;
    // The queue's writer was completed (the client stopped): the next ConnectAsync needs a new queue, even if the old
    // one still holds messages nobody read (its Completion only ends once it is drained as well).
    private bool _messagesEnded;
    private MqttConnection? _connection;
    private MqttConnectResult? _connectResult;
    // The server's Assigned Client Identifier (MQTT 5), used while the options leave ClientId empty: a reconnection
    // with a new id would find no session (Session Present 0 every time) and orphan the one it had.
    private string? _assignedClientId;
    private CancellationTokenSource? _reconnectCancellation;
    // ConnectAsync's attempt, stopped by DisconnectAsync and DisposeAsync (it waited out ConnectTimeout otherwise).
    // Whoever takes it out of the field disposes it.
    private CancellationTokenSource? _connectCancellation;
    private TaskCompletionSource? _reauthentication;
    private Func<MqttApplicationMessage, CancellationToken, Task>? _messageReceived;
    private Task _dispatcher = Task.CompletedTask;
    private ChannelReader<MqttApplicationMessage>? _dispatched; // the queue _dispatcher reads
    // True in the dispatcher's flow, handler included: DisposeAsync called from a handler must not wait for itself.
    private readonly AsyncLocal<bool> _dispatching = new();
    private long _connectionCount;
    private long _publishSequence;
    private ushort _lastPacketId;
    private bool _connecting;
    private bool _disconnectRequested;
    private bool _disposed;

    /// <summary>Creates a client; nothing happens on the network until <see cref="ConnectAsync"/>.</summary>
    public MqttClient(MqttClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = options.Logger;
        _messages = CreateMessageQueue();
    }

    /// <summary>
    /// When set, every incoming message is handed to this handler (one at a time, in order) instead of
    /// <see cref="ReadMessagesAsync"/>; with automatic acknowledgement the ack is sent after it returns. Set (or remove)
    /// it before <see cref="ConnectAsync"/> or after <see cref="DisconnectAsync"/>: while the client is connected,
    /// connecting or reconnecting, assigning it throws <see cref="InvalidOperationException"/>.
    /// </summary>
    public Func<MqttApplicationMessage, CancellationToken, Task>? MessageReceived
    {
        get => _messageReceived;
        set
        {
            lock (_sync)
            {
                // The dispatcher starts with the connection, with the handler of that moment: one assigned later was
                // never called, and its messages filled the queue until the client stopped reading the socket.
                if (_connecting || _connection is not null || _reconnectCancellation is not null)
                {
                    throw new InvalidOperationException(
                        "MessageReceived cannot change while the client is connected: set it before ConnectAsync (or after DisconnectAsync)");
                }
                _messageReceived = value;
            }
        }
    }

    /// <summary>Raised when a connection ends, with the reason and whether the client will reconnect.</summary>
    public event EventHandler<MqttDisconnectedEventArgs>? Disconnected;

    /// <summary>Raised after an automatic reconnection succeeded, with the new CONNACK.</summary>
    public event EventHandler<MqttConnectResult>? Reconnected;

    /// <summary>True while a connection is open.</summary>
    public bool IsConnected => _connection is { IsClosed: false };

    /// <summary>The options in use.</summary>
    public MqttClientOptions Options => _options;

    /// <summary>The CONNACK of the current or last connection.</summary>
    public MqttConnectResult? ConnectResult => _connectResult;

    /// <summary>
    /// Opens the connection: socket, TLS, CONNECT, the enhanced authentication exchange if any, CONNACK. Returns the
    /// CONNACK; throws <see cref="MqttConnectException"/> when the server refuses, <see cref="MqttTransportException"/>
    /// when it cannot be reached, <see cref="MqttTimeoutException"/> after <see cref="MqttClientOptions.ConnectTimeout"/>;
    /// ended at once by <see cref="DisconnectAsync"/> (<see cref="MqttConnectionLostException"/>) or <see cref="DisposeAsync"/>
    /// (<see cref="ObjectDisposedException"/>).
    /// A connection lost after the CONNACK, while the session's messages are re-sent, is an ordinary loss
    /// (<see cref="Disconnected"/>, then reconnection if enabled), not a failed connect.
    /// </summary>
    public async Task<MqttConnectResult> ConnectAsync(CancellationToken cancellationToken = default)
    {
        CancellationTokenSource stop;
        CancellationToken stopped; // taken here: DisconnectAsync may dispose the source as soon as the lock is left
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connecting || _connection is not null || _reconnectCancellation is not null)
            {
                throw new InvalidOperationException("the client is already connected or connecting");
            }
            _connecting = true;
            _disconnectRequested = false;
            stop = _connectCancellation = new CancellationTokenSource();
            stopped = stop.Token;
            if (_messagesEnded)
            {
                // The old reader stays with whoever drains it; StartDispatcher chains a dispatcher for this one.
                _messages = CreateMessageQueue();
                _messagesEnded = false;
            }
        }
        try
        {
            MqttConnectResult result = await ConnectOnceAsync(_options.CleanStart, reconnection: false, cancellationToken, stopped).ConfigureAwait(false);
            StartDispatcher();
            return result;
        }
        finally
        {
            bool owned;
            lock (_sync)
            {
                _connecting = false;
                owned = _connectCancellation == stop;
                if (owned)
                {
                    _connectCancellation = null;
                }
            }
            if (owned)
            {
                stop.Dispose();
            }
        }
    }

    /// <summary>
    /// Sends DISCONNECT with <paramref name="reasonCode"/> (MQTT 5; 0x04 asks the server to publish the Will) and closes
    /// the connection. Stops automatic reconnection; publications still waiting for acknowledgement fail.
    /// </summary>
    public async Task DisconnectAsync(ReasonCode reasonCode = ReasonCode.NormalDisconnection, CancellationToken cancellationToken = default)
    {
        MqttConnection? connection;
        CancellationTokenSource? reconnection;
        CancellationTokenSource? connecting;
        lock (_sync)
        {
            _disconnectRequested = true;
            connection = _connection;
            connecting = _connectCancellation;
            _connectCancellation = null;
            // Taken, not just cancelled: a stopped loop must not keep ConnectAsync or PublishAsync waiting for it.
            reconnection = _reconnectCancellation;
            _reconnectCancellation = null;
            // Under the lock, so that a loop still connecting sees it before it makes a connection current.
            reconnection?.Cancel();
        }
        reconnection?.Dispose();
        StopConnecting(connecting);
        try
        {
            if (connection is not null)
            {
                // Best effort and bounded: a server that stopped reading does not keep the client from closing.
                await connection.DisconnectAsync(reasonCode, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            EndSession(new MqttConnectionLostException("the client disconnected"), completeMessages: true, error: null);
        }
    }

    /// <summary>
    /// Closes the network connection without DISCONNECT (so the server publishes the Will, as for any unclean end),
    /// stops reconnecting and ends <see cref="ReadMessagesAsync"/>. Call <see cref="DisconnectAsync"/> first for a clean end.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        MqttConnection? connection;
        CancellationTokenSource? connecting;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _disconnectRequested = true;
            connection = _connection;
            connecting = _connectCancellation;
            _connectCancellation = null;
            _reconnectCancellation?.Cancel();
        }
        StopConnecting(connecting);
        if (connection is not null)
        {
            await connection.CloseAsync(null, null).ConfigureAwait(false);
        }
        EndSession(new ObjectDisposedException(nameof(MqttClient)), completeMessages: true, error: null);
        if (_dispatching.Value)
        {
            return; // the dispatcher ends after this handler returns, with the queue
        }
        try
        {
            await _dispatcher.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            // The dispatcher ends with the queue.
        }
    }

    /// <summary>Ends a ConnectAsync still under way (outside the lock: cancelling runs its continuations).</summary>
    private static void StopConnecting(CancellationTokenSource? connecting)
    {
        if (connecting is not null)
        {
            connecting.Cancel();
            connecting.Dispose();
        }
    }

    private Channel<MqttApplicationMessage> CreateMessageQueue() =>
        Channel.CreateBounded<MqttApplicationMessage>(new BoundedChannelOptions(Math.Max(1, _options.MessageQueueCapacity))
        {
            SingleWriter = true,
            SingleReader = false,
            FullMode = BoundedChannelFullMode.Wait,
        });

    /// <summary>
    /// One connection attempt: transport, CONNECT, handshake; on success the connection becomes current.
    /// <paramref name="cleanStart"/> discards the client's session state too; a reconnection keeps it. <paramref name="stop"/>
    /// is DisconnectAsync's or DisposeAsync's, unlike <paramref name="cancellationToken"/> (the caller's, rethrown as is).
    /// </summary>
    private async Task<MqttConnectResult> ConnectOnceAsync(bool cleanStart, bool reconnection, CancellationToken cancellationToken,
        CancellationToken stop = default)
    {
        // MQTT 3.1.1 has no Session Expiry: a reconnection with Clean Session 0 would leave a persistent session the
        // application did not ask for, and with an empty ClientId the server refuses it [MQTT-3.1.3-7]. It asks for
        // what the application did; the client still re-publishes and re-subscribes (Session Present 0).
        bool cleanOnWire = cleanStart || (reconnection && _options.ProtocolVersion == ProtocolVersion.V311
            && (_options.CleanStart || ClientIdInUse.Length == 0));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stop);
        timeout.CancelAfter(_options.ConnectTimeout);
        MqttTransport? transport = null;
        MqttConnection? connection = null;
        try
        {
            transport = await MqttTransport.ConnectAsync(_options, timeout.Token).ConfigureAwait(false);
            connection = new MqttConnection(transport, _options.ProtocolVersion, Interlocked.Increment(ref _connectionCount), _logger);
            if (_options.MaximumPacketSize > 0)
            {
                connection.MaximumIncomingPacketSize = _options.MaximumPacketSize;
            }
            ConnectPacket connect = await BuildConnectAsync(cleanOnWire, timeout.Token).ConfigureAwait(false);
            await connection.SendAsync(connect, timeout.Token).ConfigureAwait(false);
            _logger?.LogDebug("CONNECT sent to {Host}:{Port} (MQTT {Version}, clean start {CleanStart})",
                _options.Host, _options.EffectivePort, _options.ProtocolVersion == ProtocolVersion.V500 ? "5" : "3.1.1", cleanOnWire);
            MqttConnectResult result = await HandshakeAsync(connection, timeout.Token).ConfigureAwait(false);
            if (cleanOnWire && result.SessionPresent)
            {
                // [MQTT-3.2.2-4] After Clean Start the client holds no session, so the server cannot be resuming one
                // (3.1.1: the server broke [MQTT-3.2.2-1]).
                throw new MqttProtocolException(ReasonCode.ProtocolError, "Session Present in answer to Clean Start");
            }
            await ActivateAsync(connection, result, cleanStart).ConfigureAwait(false);
            return result;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !stop.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            await CloseFailedAsync(connection, transport, null, null).ConfigureAwait(false);
            throw new MqttTimeoutException($"no connection to {_options.Host}:{_options.EffectivePort} within {_options.ConnectTimeout.TotalSeconds:0.###} s");
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // Neither the caller nor the timeout: DisconnectAsync or DisposeAsync stopped it, or the connection closed.
            await CloseFailedAsync(connection, transport, null, null).ConfigureAwait(false);
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
            string why = IsStopRequested() ? "the client was disconnected while connecting" : "the connection closed during the handshake";
            throw new MqttConnectionLostException(why, null, e);
        }
        catch (MqttProtocolException e)
        {
            await CloseFailedAsync(connection, transport, e, e.ReasonCode).ConfigureAwait(false);
            throw;
        }
        catch (MqttAuthenticationException e)
        {
            await CloseFailedAsync(connection, transport, e, e.ReasonCode).ConfigureAwait(false);
            throw;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            await CloseFailedAsync(connection, transport, null, null).ConfigureAwait(false);
            throw new MqttConnectionLostException($"the connection failed during the handshake: {e.Message}", null, e);
        }
        catch
        {
            await CloseFailedAsync(connection, transport, null, null).ConfigureAwait(false);
            throw;
        }
    }

    private bool IsStopRequested()
    {
        lock (_sync)
        {
            return _disconnectRequested || _disposed;
        }
    }

    private static async Task CloseFailedAsync(MqttConnection? connection, MqttTransport? transport, Exception? reason, ReasonCode? disconnectReason)
    {
        if (connection is not null)
        {
            await connection.CloseAsync(reason, disconnectReason).ConfigureAwait(false);
        }
        else if (transport is not null)
        {
            await transport.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Makes a handshaken connection current: applies the server's limits, restores the session, re-sends.</summary>
    private async Task ActivateAsync(MqttConnection connection, MqttConnectResult result, bool cleanStart)
    {
        bool v5 = connection.Version == ProtocolVersion.V500;
        if (result.MaximumPacketSize is uint serverMaximum)
        {
            connection.MaximumOutgoingPacketSize = serverMaximum;
        }
        connection.UseOutgoingTopicAliases(v5 && _options.UseTopicAliases ? result.TopicAliasMaximum : (ushort)0);
        connection.AcceptIncomingTopicAliases(v5 ? _options.TopicAliasMaximum : (ushort)0);
        List<(OutgoingPublish Publish, bool Duplicate)> resend = new();
        Task[] slots;
        int granted = 0;
        List<OutgoingPublish>? completed = null;
        List<MqttTopicFilter>? resubscribe = null;
        lock (_sync)
        {
            if (_disconnectRequested)
            {
                throw new OperationCanceledException("the client was disconnected while connecting");
            }
            _incomingAtLeastOnce.Clear();
            if (!result.SessionPresent)
            {
                // [MQTT-3.2.2-5] The server has no session: discard ours. Its QoS 2 receipts are gone, and
                // unacknowledged messages are published again as new ones; those it already received (PUBREC) are done.
                _incomingExactlyOnce.Clear();
                if (cleanStart)
                {
                    // The application asked for a new session: it subscribes anew; the old filters are not brought back.
                    _subscriptions.Clear();
                }
                else if (_connectResult is not null && _subscriptions.Count > 0)
                {
                    resubscribe = new List<MqttTopicFilter>(_subscriptions);
                }
            }
            foreach (object entry in _pending.Values)
            {
                if (entry is not OutgoingPublish publish)
                {
                    continue;
                }
                if (cleanStart || (!result.SessionPresent && publish.Released))
                {
                    // [MQTT-3.1.2-4] Clean Start discards the session, its unfinished publications too (they failed when
                    // the last connection ended; the application publishes again what it still wants sent).
                    (completed ??= new()).Add(publish);
                    continue;
                }
                publish.PubRelResent |= publish.Released;
                resend.Add((publish, result.SessionPresent && publish.Sent));
            }
            if (completed is not null)
            {
                foreach (OutgoingPublish publish in completed)
                {
                    _pending.Remove(publish.PacketId);
                }
            }
            // [MQTT-4.4.0-1] Re-sent in their original order. [MQTT-3.3.4-7] PUBRELs at once (their flows hold
            // slots too), PUBLISHes within the new Receive Maximum, the others as slots free up.
            resend.Sort(static (a, b) => a.Publish.Sequence.CompareTo(b.Publish.Sequence));
            int released = resend.Count(static r => r.Publish.Released);
            slots = _quota.Reset(result.ReceiveMaximum, released, resend.Count - released);
            foreach ((OutgoingPublish publish, _) in resend)
            {
                // Slots are granted in order: those granted at once are sent below, the others later.
                if (!publish.Released && granted < slots.Length && slots[granted].IsCompletedSuccessfully)
                {
                    granted++;
                    publish.Sent = true;
                }
            }
            _connection = connection;
            _connectResult = result;
            if (result.AssignedClientIdentifier is string assigned)
            {
                _assignedClientId = assigned;
            }
        }
        if (completed is not null)
        {
            foreach (OutgoingPublish publish in completed)
            {
                if (publish.Released)
                {
                    publish.Completion.TrySetResult(new MqttPublishResult { ReasonCode = ReasonCode.Success, PacketId = publish.PacketId });
                }
                else
                {
                    publish.Completion.FailObserved(new MqttConnectionLostException("the session was discarded by a Clean Start connection"));
                }
            }
        }
        List<(OutgoingPublish Publish, bool Duplicate, Task Slot)>? waiting = null;
        try
        {
            TimeSpan keepAlive = result.ServerKeepAlive is ushort serverKeepAlive ? TimeSpan.FromSeconds(serverKeepAlive) : KeepAliveSeconds(_options.KeepAlive);
            TimeSpan pingTimeout = _options.PingTimeout ?? TimeSpan.FromMilliseconds(Math.Max(1000, keepAlive.TotalMilliseconds / 2));
            connection.Start(this, keepAlive, pingTimeout);
            _logger?.LogInformation("connected to {Host}:{Port}: {Reason}, session present {SessionPresent}",
                _options.Host, _options.EffectivePort, MqttReasonCodeText.Format(result.ReasonCode), result.SessionPresent);
            // The PUBRELs and the PUBLISHes granted a slot now (with DUP when the session was resumed); the others
            // wait, in order, for acknowledgements to free slots.
            int next = 0;
            foreach ((OutgoingPublish publish, bool duplicate) in resend)
            {
                if (publish.Released)
                {
                    await connection.SendAsync(new PubRelPacket { PacketId = publish.PacketId }, CancellationToken.None).ConfigureAwait(false);
                }
                else if (next < granted)
                {
                    next++;
                    await ResendPublishAsync(connection, publish, duplicate).ConfigureAwait(false);
                }
                else
                {
                    (waiting ??= new()).Add((publish, duplicate, slots[next++]));
                }
            }
        }
        catch (MqttConnectionLostException e)
        {
            // The connection is current and the CONNACK accepted it: its loss is an ordinary one, which OnClosed
            // handles (reconnecting, or ending the session), and the connect succeeded. Thrown from here, it left
            // ConnectAsync failed with a reconnection loop running behind it and no dispatcher.
            await connection.CloseAsync(e, null).ConfigureAwait(false);
            return;
        }
        finally
        {
            connection.MarkResent();
        }
        if (waiting is not null)
        {
            _ = ResendWhenFreeAsync(connection, waiting);
        }
        else
        {
            EndResends(connection);
        }
        if (resubscribe is not null)
        {
            _ = ResubscribeAsync(resubscribe);
        }
    }

    /// <summary>
    /// Re-sends, in order, the PUBLISHes that waited for a slot of the new connection's Receive Maximum; only then do new
    /// publications take slots (granted one as the last re-send was, it raced that re-send for the write path).
    /// </summary>
    private async Task ResendWhenFreeAsync(MqttConnection connection, List<(OutgoingPublish Publish, bool Duplicate, Task Slot)> waiting)
    {
        try
        {
            await ResendInOrderAsync(connection, waiting).ConfigureAwait(false);
        }
        finally
        {
            EndResends(connection);
        }
    }

    private async Task ResendInOrderAsync(MqttConnection connection, List<(OutgoingPublish Publish, bool Duplicate, Task Slot)> waiting)
    {
        foreach ((OutgoingPublish publish, bool duplicate, Task slot) in waiting)
        {
            await slot.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            lock (_sync)
            {
                if (!slot.IsCompletedSuccessfully || _connection != connection)
                {
                    // The connection ended: the next one re-sends what is still pending.
                    return;
                }
                if (!_pending.TryGetValue(publish.PacketId, out object? entry) || entry != publish || publish.Released)
                {
                    // A server acknowledged it unsent: its flow already gave a slot back for it.
                    continue;
                }
                publish.Sent = true;
            }
            try
            {
                await ResendPublishAsync(connection, publish, duplicate).ConfigureAwait(false);
            }
            catch (Exception e) when (e is MqttException or ObjectDisposedException or OperationCanceledException)
            {
                // The connection ended (or the client was disposed): the next connection re-sends what is pending.
                return;
            }
        }
    }

    /// <summary>
    /// The connection's re-sends are all in the write path: new publications may take slots. Not for a connection no
    /// longer current: the next one's CONNACK started re-sends of its own.
    /// </summary>
    private void EndResends(MqttConnection connection)
    {
        lock (_sync)
        {
            if (_connection == connection)
            {
                _quota.EndResends();
            }
        }
    }

    private async Task ResendPublishAsync(MqttConnection connection, OutgoingPublish publish, bool duplicate)
    {
        if (NotSupported(publish.QoS, publish.Retain) is MqttException unsupported)
        {
            // The new server does not take it (a reconnection to another node, say): it fails as a new publication
            // would; sent anyway, the server would disconnect, and the client reconnect and send it again, for ever.
            Forget(publish);
            publish.Completion.FailObserved(unsupported);
            return;
        }
        try
        {
            await connection.SendPublishAsync(publish.Topic, publish.Payload, publish.QoS, publish.Retain, duplicate,
                publish.PacketId, publish.Message, CancellationToken.None).ConfigureAwait(false);
        }
        catch (MqttException e) when (e.ReasonCode == ReasonCode.PacketTooLarge)
        {
            // [MQTT-3.2.2-15] Over this server's Maximum Packet Size, it can never be sent: it fails as a new
            // publication that is too large fails, and the connection carries on.
            Forget(publish);
            publish.Completion.FailObserved(e);
        }
    }

    private async Task ResubscribeAsync(List<MqttTopicFilter> filters)
    {
        // A server without Subscription Identifiers (another one behind the same address) still gets the subscriptions.
        if (Volatile.Read(ref _connectResult) is { SubscriptionIdentifiersAvailable: false })
        {
            filters = filters.ConvertAll(f => f with { SubscriptionIdentifier = 0 });
        }
        // One SUBSCRIBE per Subscription Identifier: a packet carries one. Each on its own, so one refused loses no other.
        foreach (IGrouping<int, MqttTopicFilter> group in filters.GroupBy(f => f.SubscriptionIdentifier))
        {
            try
            {
                await SubscribeAsync([.. group], CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is MqttException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                // Nobody awaits this task: the connection may have ended, or the client been disposed, meanwhile.
                _logger?.LogWarning("re-subscribing after the session was lost failed: {Message}", e.Message);
            }
        }
    }

    private static TimeSpan KeepAliveSeconds(TimeSpan keepAlive) =>
        TimeSpan.FromSeconds(Math.Clamp(Math.Ceiling(keepAlive.TotalSeconds), 0, ushort.MaxValue));

    void IFrameHandler.OnClosed(MqttConnection connection, Exception? reason)
    {
        bool reconnect;
        CancellationTokenSource? reconnection = null;
        CancellationToken stop = default;
        lock (_sync)
        {
            if (_connection != connection)
            {
                return;
            }
            _connection = null;
            _reauthentication?.FailObserved(reason ?? new MqttConnectionLostException("the connection closed"));
            reconnect = reason is not null && _options.AutomaticReconnect && !_disconnectRequested && !_disposed;
            FailPendingAcksLocked(reason ?? new MqttConnectionLostException("the connection closed"));
            // At most one loop: a connection that a loop is still activating (re-sending) leaves the retrying to it.
            if (reconnect && _reconnectCancellation is null)
            {
                reconnection = _reconnectCancellation = new CancellationTokenSource();
                // Read here: once DisconnectAsync takes the source, it may dispose it.
                stop = reconnection.Token;
            }
        }
        if (reason is not null)
        {
            _logger?.LogWarning("connection lost: {Message}{Reconnect}", reason.Message, reconnect ? "; reconnecting" : "");
        }
        if (reconnection is not null)
        {
            _ = Task.Run(() => ReconnectLoopAsync(reconnection, stop));
        }
        else if (!reconnect && reason is not null)
        {
            EndSession(reason, completeMessages: true, error: reason);
        }
        Raise(Disconnected, new MqttDisconnectedEventArgs(reason, reconnect));
    }

    /// <summary>Raises an application event: a throwing handler is logged, and the client's own work after it still runs.</summary>
    private void Raise<TArgs>(EventHandler<TArgs>? handler, TArgs args)
    {
        try
        {
            handler?.Invoke(this, args);
        }
        catch (Exception e)
        {
            _logger?.LogError(e, "an event handler of the client failed");
        }
    }

    /// <summary>Back-off with jitter until a connection is made, the client is disconnected, or the server refuses for good.</summary>
    private async Task ReconnectLoopAsync(CancellationTokenSource reconnection, CancellationToken stop)
    {
        TimeSpan delay = _options.ReconnectMinimumDelay;
        while (true)
        {
            try
            {
                await Task.Delay(delay * (0.8 + 0.4 * Random.Shared.NextDouble()), stop).ConfigureAwait(false);
                MqttConnectResult result = await ConnectOnceAsync(cleanStart: false, reconnection: true, stop).ConfigureAwait(false);
                if (!EndReconnection(reconnection, connected: true))
                {
                    // Lost again during its re-sends (its OnClosed left the retrying to this loop), or disconnected.
                    continue;
                }
                _logger?.LogInformation("reconnected, session present {SessionPresent}", result.SessionPresent);
                Raise(Reconnected, result);
                return;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                EndReconnection(reconnection, connected: false);
                return;
            }
            catch (MqttConnectException e) when (IsPermanentRefusal(e.Result.ReasonCode))
            {
                _logger?.LogError("reconnection refused for good: {Message}", e.Message);
                EndReconnection(reconnection, connected: false);
                EndSession(e, completeMessages: true, error: e);
                return;
            }
            catch (Exception e)
            {
                // Any other failure too (a transport's own exception type, say): ending the loop here would leave the
                // client reconnecting for ever, its publications waiting and ConnectAsync refused.
                _logger?.LogDebug("reconnection failed: {Message}", e.Message);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaximumDelay.Ticks));
            }
        }
    }

    /// <summary>
    /// The loop ends: the client no longer counts as reconnecting. Whoever takes the source out of
    /// <see cref="_reconnectCancellation"/> disposes it; DisconnectAsync may have done so already. With
    /// <paramref name="connected"/>, only if the new connection is still current: false means the loop carries on
    /// (and stops at once if it was disconnected).
    /// </summary>
    private bool EndReconnection(CancellationTokenSource reconnection, bool connected)
    {
        lock (_sync)
        {
            if (connected && (_connection is null || _disconnectRequested))
            {
                return false;
            }
            if (_reconnectCancellation != reconnection)
            {
                return true;
            }
            _reconnectCancellation = null;
        }
        reconnection.Dispose();
        return true;
    }

    private static bool IsPermanentRefusal(ReasonCode code) => code is ReasonCode.UnsupportedProtocolVersion or ReasonCode.ClientIdentifierNotValid
        or ReasonCode.BadUserNameOrPassword or ReasonCode.NotAuthorized or ReasonCode.Banned or ReasonCode.BadAuthenticationMethod;

    /// <summary>
    /// The client stops: publications waiting for acknowledgement and quota fail (their messages stay in the session
    /// state for a later connection with Clean Start 0), and the message queue ends, with <paramref name="error"/> if any.
    /// </summary>
    private void EndSession(Exception reason, bool completeMessages, Exception? error)
    {
        Channel<MqttApplicationMessage> messages;
        lock (_sync)
        {
            // Taken under the lock: a ConnectAsync right after this replaces the queue, and must not have its new one completed.
            messages = _messages;
            _messagesEnded |= completeMessages;
            FailPendingAcksLocked(reason);
            foreach (object entry in _pending.Values)
            {
                if (entry is OutgoingPublish publish)
                {
                    publish.Completion.FailObserved(reason);
                }
            }
            _quota.Fail(reason);
        }
        if (completeMessages)
        {
            messages.Writer.TryComplete(error);
        }
    }

    private void FailPendingAcksLocked(Exception reason)
    {
        List<ushort>? done = null;
        foreach (KeyValuePair<ushort, object> entry in _pending)
        {
            if (entry.Value is PendingAck ack)
            {
                ack.Completion.FailObserved(reason);
                (done ??= new()).Add(entry.Key);
            }
        }
        if (done is not null)
        {
            foreach (ushort id in done)
            {
                _pending.Remove(id);
            }
        }
    }

    /// <summary>A free Packet Identifier (1..65535) [MQTT-2.2.1-3]; the caller holds <see cref="_sync"/>.</summary>
    private ushort AllocatePacketIdLocked(object entry)
    {
        for (int i = 0; i < ushort.MaxValue; i++)
        {
            _lastPacketId = (ushort)(_lastPacketId % ushort.MaxValue + 1);
            if (_pending.TryAdd(_lastPacketId, entry))
            {
                return _lastPacketId;
            }
        }
        throw new MqttException("all 65,535 Packet Identifiers are in use");
    }

    /// <summary>The ClientId of the options, or when it is empty the one the server assigned to this client, if any.</summary>
    private string ClientIdInUse => _options.ClientId is { Length: > 0 } id ? id : Volatile.Read(ref _assignedClientId) ?? "";

    /// <summary>The current connection, for tests.</summary>
    internal MqttConnection? CurrentConnection => _connection;

    private MqttConnection RequireConnection() =>
        _connection ?? throw new MqttConnectionLostException(_disposed ? "the client is disposed" : "the client is not connected");
}
