using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mqtt.Codec;
using Mqtt.Security.Credentials;

namespace Mqtt.Broker;

/// <summary>
/// An MQTT 5 and 3.1.1 broker. Construct it with options, <see cref="StartAsync"/> it, and
/// <see cref="StopAsync"/> it (MQTT 5 clients then get DISCONNECT 0x8B Server shutting down).
/// </summary>
public sealed partial class MqttBroker : IAsyncDisposable
{
    private readonly List<SocketListener> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly Dictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _sessionsGate = new();
    private readonly HashSet<MqttConnection> _connections = [];
    private TaskCompletionSource? _allConnectionsEnded;
    private readonly CancellationTokenSource _stopping = new();
    /// <summary>
    /// Keep alive and CONNECT timeouts are checked every 250 ms, so a client silent for 1.5 x its Keep Alive is closed
    /// within a quarter second of it (at 1 s a client with Keep Alive 1 was cut off up to 2.5 s after its last packet);
    /// sessions expire on every fourth tick.
    /// </summary>
    private const int HousekeepingPeriodMilliseconds = 250;
    private const int SessionChecksEvery = 4;
    private Timer? _housekeeping;
    private int _housekeepingTicks;
    private int _housekeepingRunning;
    private int _nextSessionId;
    private int _connectionLimit;
    private long _nextRetainedSweep;
    private readonly LogThrottle _retainedFullLog = new();
    private readonly LogThrottle _connectingFullLog = new();
    private readonly LogThrottle _overLimitLog = new();
    private readonly LogThrottle _acceptFailedLog = new();
    private long _refusedWhenLogged;
    private int _stopped;

    /// <summary>Creates a broker; nothing listens until <see cref="StartAsync"/>.</summary>
    public MqttBroker(BrokerOptions options, ILogger? logger = null)
    {
        Options = options;
        Logger = logger ?? NullLogger.Instance;
        Retained = new RetainedStore(options);
        Connecting = new ConnectingBytes(options.MaximumConnectingBytes);
    }

    /// <summary>The options it runs with.</summary>
    public BrokerOptions Options { get; }

    /// <summary>The endpoints actually bound (ports resolved), with what each speaks.</summary>
    public IReadOnlyList<BrokerEndpoint> Endpoints
    {
        get
        {
            var endpoints = new List<BrokerEndpoint>(_listeners.Count);
            foreach (SocketListener listener in _listeners)
            {
                endpoints.Add(listener.Description);
            }
            return endpoints;
        }
    }

    /// <summary>Counters (connections, messages, bytes) that $SYS topics and tests read.</summary>
    public BrokerStatistics Statistics { get; } = new();

    internal ILogger Logger { get; }

    internal TopicTree Subscriptions { get; } = new();

    internal RetainedStore Retained { get; }

    /// <summary>Memory held for large packets of clients not yet accepted (<see cref="BrokerOptions.MaximumConnectingBytes"/>).</summary>
    internal ConnectingBytes Connecting { get; }

    internal CancellationToken Stopping => _stopping.Token;

    /// <summary>Loads the state file if persistence is on, binds every listener and starts accepting.</summary>
    /// <exception cref="StateFileException">The state file is corrupt (nothing listens then).</exception>
    /// <exception cref="InvalidDataException">The credential file cannot be read.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Options.CredentialStore?.Problem is string problem)
        {
            // Started on it, the broker would drop every saved session as its user's, and refuse every login.
            throw new InvalidDataException(problem + "; fix or restore it before starting the broker");
        }
        LoadState();
        if (Options.Listeners.Count + Options.TlsListeners.Count + Options.WebSocketListeners.Count + Options.TlsWebSocketListeners.Count == 0)
        {
            Options.Listeners.Add(new IPEndPoint(IPAddress.Loopback, 1883));
        }
        try
        {
            AddListeners(Options.Listeners, tls: false, webSocket: false);
            AddListeners(Options.TlsListeners, tls: true, webSocket: false);
            AddListeners(Options.WebSocketListeners, tls: false, webSocket: true);
            AddListeners(Options.TlsWebSocketListeners, tls: true, webSocket: true);
        }
        catch
        {
            // One endpoint taken: release those already bound, so that nothing listens for a broker that did not start.
            _listeners.ForEach(static listener => listener.Dispose());
            _listeners.Clear();
            throw;
        }
        _connectionLimit = Math.Min(Options.MaximumConnections, DescriptorBudget.Remaining());
        if (_connectionLimit < Options.MaximumConnections)
        {
            Logger.LogInformation("at most {Connections} connections: the open-files limit (ulimit -n) allows no more", _connectionLimit);
        }
        foreach (SocketListener listener in _listeners)
        {
            _acceptLoops.Add(listener.AcceptLoopAsync(Accept, AcceptFailed, _stopping.Token));
        }
        _housekeeping = new Timer(static state => ((MqttBroker)state!).Housekeeping(), this, HousekeepingPeriodMilliseconds, HousekeepingPeriodMilliseconds);
        if (Options.CredentialStore is CredentialStore credentials)
        {
            credentials.UsersRemoved += OnUsersRemoved;
        }
        StartAutosave();
        StartSysTopics();
        return Task.CompletedTask;
    }

    private void AddListeners(List<IPEndPoint> endPoints, bool tls, bool webSocket)
    {
        foreach (IPEndPoint endPoint in endPoints)
        {
            X509Certificate2? certificate = tls
                ? Options.Certificate ?? throw new InvalidOperationException("a TLS listener needs a certificate")
                : null;
            _listeners.Add(new SocketListener(endPoint, certificate, webSocket));
        }
    }

    /// <summary>
    /// Stops accepting, tells MQTT 5 clients the server is shutting down, closes every connection, then saves the state
    /// file if persistence is on.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        if (Options.CredentialStore is CredentialStore credentials)
        {
            credentials.UsersRemoved -= OnUsersRemoved;
        }
        // Disposing the listeners ends the accept loops.
        foreach (SocketListener listener in _listeners)
        {
            listener.Dispose();
        }
        await Task.WhenAll(_acceptLoops);
        if (_housekeeping is not null)
        {
            await _housekeeping.DisposeAsync();
        }
        // Wills already waiting go out while their subscribers are still connected; those of the connections closed
        // below, once they are closed.
        PublishDelayedWills();
        MqttConnection[] open;
        Task allEnded;
        lock (_connections)
        {
            open = [.. _connections];
            allEnded = open.Length == 0 ? Task.CompletedTask
                : (_allConnectionsEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
        var closing = new List<Task>(open.Length);
        foreach (MqttConnection connection in open)
        {
            closing.Add(connection.CloseAsync(ReasonCode.ServerShuttingDown));
        }
        await Task.WhenAll(closing);
        // Each close lingers until its client has read the DISCONNECT and closed too (at most 1 s, then a reset):
        // wait for that, so that sessions and Wills are settled when this returns and an exiting process resets nobody.
        await Task.WhenAny(allEnded, Task.Delay(TimeSpan.FromSeconds(2)));
        PublishDelayedWills();
        // Ends authentications still waiting; the connections themselves were closed above (DISCONNECT 0x8B first).
        _stopping.Cancel();
        // Sessions are detached now, and counted as disconnected from this moment.
        await SaveStateAtStopAsync();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>The Will waiting on <paramref name="pending"/>, taken from <paramref name="session"/>; null when it no longer waits.</summary>
    internal ApplicationMessage? TakePendingWill(Session session, CancellationTokenSource pending)
    {
        lock (_sessionsGate)
        {
            if (session.PendingWill != pending)
            {
                return null;
            }
            ApplicationMessage? will = session.PendingWillMessage;
            session.PendingWill = null;
            session.PendingWillMessage = null;
            return will;
        }
    }

    /// <summary>
    /// At shutdown, Wills waiting for their Will Delay go out now, as Mosquitto's do: the delay gives a client time to
    /// come back, and no broker is left to see whether it does (a restarted one does not know them).
    /// </summary>
    private void PublishDelayedWills()
    {
        var wills = new List<ApplicationMessage>();
        lock (_sessionsGate)
        {
            foreach (Session session in _sessions.Values)
            {
                if (session.PendingWill is CancellationTokenSource pending && session.PendingWillMessage is ApplicationMessage will)
                {
                    pending.Cancel();
                    session.PendingWill = null;
                    session.PendingWillMessage = null;
                    wills.Add(will);
                }
            }
        }
        foreach (ApplicationMessage will in wills)
        {
            PublishWill(will);
        }
    }

    /// <summary>
    /// Admits an accepted socket and starts its connection on the thread pool (not on the accept loop: a client may
    /// have sent CONNECT already, and authenticating it can take a while). The connection's one async method,
    /// <see cref="MqttConnection.RunAsync"/>, is all that waits on it from then on.
    /// </summary>
    private void Accept(Socket socket, SocketListener listener)
    {
        MqttConnection connection;
        lock (_connections)
        {
            if (_connections.Count >= _connectionLimit)
            {
                RefuseOverLimit(socket);
                return;
            }
            try
            {
                connection = new MqttConnection(this, socket, listener);
            }
            catch (Exception e)
            {
                RefuseFailedStart(socket, e);
                return;
            }
            _connections.Add(connection);
        }
        Statistics.ConnectionOpened();
        ThreadPool.UnsafeQueueUserWorkItem(static start =>
        {
            try
            {
                _ = start.Connection.RunAsync();
            }
            catch (Exception e)
            {
                // RunAsync failed before its own error handling began: an assembly its first step needs could not be
                // loaded, as when the process is out of file descriptors. An exception here would end the process.
                start.Broker.ConnectionEnded(start.Connection);
                start.Broker.RefuseFailedStart(start.Socket, e);
            }
        }, (Broker: this, Connection: connection, Socket: socket), preferLocal: false);
    }

    /// <summary>
    /// Closes a connection beyond the limit, or the descriptors the process can spare, before reading its CONNECT (as
    /// Mosquitto does), and says so at most once a minute with the count left unsaid since. Under the lock of _connections.
    /// </summary>
    private void RefuseOverLimit(Socket socket)
    {
        long refused = Statistics.ConnectionRefused();
        if (_overLimitLog.TryTake())
        {
            string limit = _connectionLimit < Options.MaximumConnections ? "what the open-files limit, ulimit -n, allows" : "--max-connections";
            Logger.LogWarning("refusing a connection from {Remote}: {Open} connections are open, the most allowed ({Limit}); "
                + "{Unlogged} more were refused since the last such line, further ones are not logged for a minute",
                socket.RemoteEndPoint, _connections.Count, limit, refused - _refusedWhenLogged - 1);
            _refusedWhenLogged = refused;
        }
        socket.Dispose();
    }

    /// <summary>An accept failed, as when the process is out of file descriptors; said at most once a minute, as it is retried every 100 ms.</summary>
    private void AcceptFailed(SocketException e, SocketListener listener)
    {
        if (_acceptFailedLog.TryTake())
        {
            Logger.LogWarning("cannot accept connections on {Endpoint}: {Error}; they wait in the backlog (further failures are not logged for a minute)",
                listener.EndPoint, e.Message);
        }
    }

    private void RefuseFailedStart(Socket socket, Exception e)
    {
        socket.Dispose();
        Logger.LogError(e, "a new connection could not be started");
    }

    /// <summary>A connection's <see cref="MqttConnection.RunAsync"/> has finished.</summary>
    internal void ConnectionEnded(MqttConnection connection)
    {
        lock (_connections)
        {
            if (_connections.Remove(connection) && _connections.Count == 0)
            {
                _allConnectionsEnded?.TrySetResult();
            }
        }
        Statistics.ConnectionClosed();
    }

    /// <summary>Keep alive and connect timeouts at every tick; session expiry and the retained sweep less often.</summary>
    private void Housekeeping()
    {
        // A tick that comes while the last one still runs (a loaded machine, many connections) is skipped.
        if (Interlocked.Exchange(ref _housekeepingRunning, 1) == 1)
        {
            return;
        }
        try
        {
            long now = Environment.TickCount64;
            CheckConnections(now);
            if (++_housekeepingTicks % SessionChecksEvery == 0)
            {
                ExpireSessions(now);
            }
        }
        catch (Exception e)
        {
            // An exception leaving a timer callback ends the process; one from an embedder's authorizer (asked while
            // an expired session's shared messages are handed on) must not take the broker down.
            Logger.LogError(e, "housekeeping failed");
        }
        finally
        {
            Volatile.Write(ref _housekeepingRunning, 0);
        }
    }

    private void CheckConnections(long now)
    {
        // A rented array: at four ticks a second, a copy of 100,000 connections would be 3 MB a second of garbage.
        MqttConnection[] open;
        int count;
        lock (_connections)
        {
            count = _connections.Count;
            open = ArrayPool<MqttConnection>.Shared.Rent(count);
            _connections.CopyTo(open);
        }
        try
        {
            for (int i = 0; i < count; i++)
            {
                open[i].CheckTimeouts(now);
            }
        }
        finally
        {
            ArrayPool<MqttConnection>.Shared.Return(open, clearArray: true);
        }
    }

    private void ExpireSessions(long now)
    {
        List<Session>? expired = null;
        lock (_sessionsGate)
        {
            foreach (Session session in _sessions.Values)
            {
                if (session.IsExpired(now))
                {
                    (expired ??= []).Add(session);
                }
            }
            if (expired is not null)
            {
                foreach (Session session in expired)
                {
                    _sessions.Remove(session.ClientId);
                }
            }
        }
        if (expired is not null)
        {
            EndSessions(expired);
        }
        if (now >= _nextRetainedSweep)
        {
            // Expired retained messages are skipped when matched; without this, topics never published again kept theirs.
            _nextRetainedSweep = now + 60_000;
            Retained.RemoveExpired(now);
        }
    }

    /// <summary>
    /// Binds a connection to the session of its Client Identifier: an existing connection with that id is
    /// taken over (DISCONNECT 0x8E) [MQTT-3.1.4-3]; Clean Start discards the old session [MQTT-3.1.2-4].
    /// Returns the session and whether it was present before; no session when the id belongs to another user, or when
    /// the client proved itself against <paramref name="storeEntry"/>, an entry of the credential store, and the store
    /// no longer holds it (the user removed or given new verifiers meanwhile: <c>UserRemoved</c>).
    /// </summary>
    internal (Session? Session, bool Present, bool UserRemoved) AttachSession(MqttConnection connection, string clientId, string? userName, bool cleanStart, uint expiry,
        UserCredentials? storeEntry = null)
    {
        if (storeEntry is not null)
        {
            Options.CredentialStore?.RefreshQuietly(); // a change the watcher has not reported yet counts too
        }
        Session? old;
        MqttConnection? previous = null;
        bool closePrevious = false;
        ApplicationMessage? previousWill = null;
        ApplicationMessage? endedWill = null;
        Session session;
        bool present;
        lock (_sessionsGate)
        {
            // A removal swaps the user list before it revokes under this lock: either the user is gone here, or the
            // revocation comes after and finds this session (RevokeUserAsync).
            if (storeEntry is not null && Options.CredentialStore?.HoldsSame(storeEntry) != true)
            {
                return (null, false, true);
            }
            _sessions.TryGetValue(clientId, out old);
            if (old is not null && !Options.Authorizer.CanTakeOverClientId(connection.Client, old.UserName))
            {
                // SECURITY.md section 4: a Client Identifier in use by one user is not another's to take.
                return (null, false, false);
            }

            previous = old?.Connection;
            uint previousExpiry = old?.ExpiryInterval ?? 0;
            // A 3.1.1 clean session is never resumed, not even by a takeover while its connection is open or its close
            // is being handled [MQTT-3.1.2-6] (it was, subscriptions and all, with Session Present 1). An MQTT 5 session
            // of expiry 0 still open is resumed: it exists when the CONNECT comes [MQTT-3.1.2-5].
            if (old is not null && !cleanStart && !old.IsCleanSession)
            {
                session = old;
                present = true;
            }
            else
            {
                session = NewSession(clientId, userName);
                _sessions[clientId] = session;
                present = false;
            }
            Statistics.MessageDropped(session.Claim(connection, expiry));
            session.PendingWill?.Cancel();
            session.PendingWill = null;
            if (old is not null && old != session && old.PendingWill is CancellationTokenSource pending)
            {
                // [MQTT-3.1.2-8] Clean Start ends the old session, and a delayed Will goes out when its session ends.
                pending.Cancel();
                old.PendingWill = null;
                endedWill = old.PendingWillMessage;
            }
            if (previous is not null && previous != connection)
            {
                // Marked under this lock, where the old connection decides its Will when it closes: either it decided
                // first (its pending Will was handled just above) or the takeover decides it here.
                (closePrevious, previousWill) = previous.MarkTakenOver(old!, sessionEnded: old != session, previousExpiry);
            }
        }
        SessionClaimed?.Invoke(clientId);
        if (endedWill is not null)
        {
            PublishWill(endedWill);
        }
        if (previousWill is not null)
        {
            // Before the new connection's CONNACK is queued, so before anything it publishes.
            PublishWill(previousWill);
        }
        if (closePrevious)
        {
            _ = previous!.CloseAsync(ReasonCode.SessionTakenOver);
        }
        if (old is not null && old != session)
        {
            EndSession(old);
        }
        return (session, present, false);
    }

    private Session NewSession(string clientId, string? userName) => new(clientId, userName)
    {
        Id = Interlocked.Increment(ref _nextSessionId),
        QueueLimit = Options.MaximumQueuedMessages is 0 ? int.MaxValue : Options.MaximumQueuedMessages,
        PendingQoS0Limit = Options.MaximumPendingQoS0,
    };

    /// <summary>
    /// Guards the session map, and with it the takeover and revocation marks on connections and a closing connection's
    /// Will decision, so a takeover or revocation is wholly before that decision or wholly after it.
    /// </summary>
    internal Lock SessionsGate => _sessionsGate;

    /// <summary>
    /// Serializes the decisions to hold a publisher back for a full subscriber (MqttConnection.WaitForSubscribersAsync),
    /// so that no two clients, nor any ring of them, end up each waiting for another.
    /// </summary>
    internal Lock HoldGate { get; } = new();

    /// <summary>Test seam: runs after a CONNECT claimed the session of a Client Identifier, before the connection it replaced is closed.</summary>
    internal Action<string>? SessionClaimed { get; set; }

    /// <summary>A connection ended: detach it, and forget the session at once when its expiry is 0.</summary>
    internal void DetachSession(MqttConnection connection, Session session)
    {
        long now = Environment.TickCount64;
        Statistics.MessageDropped(session.Detach(connection, now));
        if (session.ExpiryInterval != 0)
        {
            return;
        }
        bool removed = false;
        lock (_sessionsGate)
        {
            if (_sessions.TryGetValue(session.ClientId, out Session? current) && current == session && !session.IsConnected)
            {
                _sessions.Remove(session.ClientId);
                removed = true;
            }
        }
        if (removed)
        {
            EndSession(session);
        }
    }

    /// <summary>The connection now bound to the session of <paramref name="clientId"/>, if any.</summary>
    internal MqttConnection? ConnectionOf(string clientId)
    {
        lock (_sessionsGate)
        {
            return _sessions.TryGetValue(clientId, out Session? session) ? session.Connection : null;
        }
    }

    /// <summary>The session of <paramref name="clientId"/>, if any.</summary>
    internal Session? SessionOf(string clientId)
    {
        lock (_sessionsGate)
        {
            return _sessions.GetValueOrDefault(clientId);
        }
    }

    internal int SessionCount
    {
        get
        {
            lock (_sessionsGate)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>
    /// The session has left the map: no subscription may be added to it from now on, and its own leave the tree. What
    /// Shared Subscriptions gave it and its client may not have received goes to other members of their groups (4.8.2).
    /// </summary>
    private void EndSession(Session session) => EndSessions([session]);

    /// <summary>
    /// <see cref="EndSession"/> for sessions that end together (a revoked user's, those expiring at one tick): all leave
    /// the tree before anything is handed on, so that no message goes from one of them to another.
    /// </summary>
    private void EndSessions(IReadOnlyList<Session> sessions)
    {
        List<Delivery>? unfinished = null;
        foreach (Session session in sessions)
        {
            lock (session.Gate)
            {
                // Together, under the gate: a delivery that comes later finds the session ended (DeliveryOutcome.MemberEnded).
                session.HasEnded = true;
                if (session.TakeUnfinishedSharedDeliveries() is { } taken)
                {
                    (unfinished ??= []).AddRange(taken);
                }
                if (session.HasSubscriptions)
                {
                    foreach (SubscriptionEntry entry in session.Subscriptions.Values)
                    {
                        Subscriptions.Remove(entry);
                    }
                    session.Subscriptions.Clear();
                    session.FilterCharacters = 0;
                }
            }
        }
        // Outside the gates, as a publish delivers: picking takes the tree's lock, delivering another session's gate.
        // Their own subscriptions have left the tree, so no group picks these sessions again.
        foreach (Delivery delivery in unfinished ?? [])
        {
            Redistribute(delivery);
        }
    }

    /// <summary>
    /// Adds or replaces [MQTT-3.8.4-3] a session's subscription: for a SUBSCRIBE and for a session loaded from the state
    /// file. Returns the granted QoS as a SUBACK Reason Code, or the failure.
    /// </summary>
    internal ReasonCode AddSubscription(SubscriptionEntry entry, out bool isNew)
    {
        Session session = entry.Session;
        lock (session.Gate)
        {
            if (session.HasEnded)
            {
                // Taken over with Clean Start or revoked while this connection still had SUBSCRIBEs to handle.
                isNew = false;
                return ReasonCode.UnspecifiedError;
            }
            isNew = !session.Subscriptions.TryGetValue(entry.Filter, out SubscriptionEntry? existing);
            if (isNew && (session.Subscriptions.Count >= Options.MaximumSubscriptionsPerClient
                || session.FilterCharacters + entry.Filter.Length > Options.MaximumSubscriptionCharactersPerClient))
            {
                return ReasonCode.QuotaExceeded;
            }
            session.Subscriptions[entry.Filter] = entry;
            if (isNew)
            {
                session.FilterCharacters += entry.Filter.Length;
            }
            if (existing is not null)
            {
                existing.ReplacedBy = entry;
                Subscriptions.Replace(existing, entry);
            }
            else
            {
                Subscriptions.Add(entry);
            }
        }
        return (ReasonCode)(byte)entry.MaximumQoS;
    }
}
