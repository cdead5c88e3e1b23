using Mqtt.Codec;

namespace Mqtt.Broker;

/// <summary>
/// Session State on the server (4.1): subscriptions, QoS 1/2 messages in flight or queued, and QoS 2
/// packet ids received but not yet released. It outlives connections while its expiry allows.
/// Every member is guarded by the session's own lock. The collections are created on first use: most
/// sessions of an idle broker never need some of them.
/// </summary>
internal sealed class Session
{
    private Queue<Delivery>? _queued;
    private Dictionary<ushort, Delivery>? _inflight;
    private Queue<Delivery>? _resend;
    private int _awaitingResend;
    private bool _attached; // Connection has sent its CONNACK (Attach): only then does anything go out to it
    private Dictionary<string, SubscriptionEntry>? _subscriptions;
    private HashSet<ushort>? _incomingQoS2;
    private ushort _lastPacketId;
    private long _flightOrder;
    private TaskCompletionSource? _room;
    private bool _stalled;
    private long _holdsResumeAt;
    private Backlog? _backlog; // only while connected: Claim and Detach settle it

    public Session(string clientId, string? userName)
    {
        ClientId = clientId;
        UserName = userName;
        Client = new ClientInfo(clientId, userName, null, false);
    }

    public Lock Gate { get; } = new();

    /// <summary>A number unique to this session, to group a publish's matches by session.</summary>
    public int Id { get; init; }

    public string ClientId { get; }

    public string? UserName { get; }

    /// <summary>
    /// Who reads this session's messages, as its latest connection authenticated: deliveries are authorized for it
    /// whether or not it is connected, so a message queued while it is away gets the same check as a live one.
    /// </summary>
    public ClientInfo Client { get; private set; }

    /// <summary>The session's subscriptions by filter (created when first asked for).</summary>
    public Dictionary<string, SubscriptionEntry> Subscriptions => _subscriptions ??= new(StringComparer.Ordinal);

    public bool HasSubscriptions => _subscriptions is { Count: > 0 };

    /// <summary>Characters of all its filters (under <see cref="Gate"/>), against <see cref="BrokerOptions.MaximumSubscriptionCharactersPerClient"/>.</summary>
    public int FilterCharacters { get; set; }

    /// <summary>
    /// Set when the broker let go of the session (Clean Start, expiry, revocation); a connection it had may still be
    /// handling SUBSCRIBEs, which must not add to the tree what nothing would ever remove.
    /// </summary>
    public bool HasEnded { get; set; }

    /// <summary>Packet ids of QoS 2 PUBLISHes received and not yet released by PUBREL (4.3.3).</summary>
    public HashSet<ushort> IncomingQoS2 => _incomingQoS2 ??= [];

    public MqttConnection? Connection { get; set; }

    public bool IsConnected => Connection is not null;

    /// <summary>Seconds the session lives after its connection closes; uint.MaxValue never expires.</summary>
    public uint ExpiryInterval { get; set; }

    /// <summary>When the last connection closed (<see cref="Environment.TickCount64"/>).</summary>
    public long DisconnectedAt { get; set; }

    /// <summary>A pending Will Delay, cancelled if the client comes back in time [MQTT-3.1.3-9].</summary>
    public CancellationTokenSource? PendingWill { get; set; }

    /// <summary>The Will waiting on <see cref="PendingWill"/>, published at once if the session ends first.</summary>
    public ApplicationMessage? PendingWillMessage { get; set; }

    public int QueuedCount => _queued?.Count ?? 0;

    /// <summary>QoS 1/2 messages queued beyond the flight window (<see cref="BrokerOptions.MaximumQueuedMessages"/>).</summary>
    public int QueueLimit { get; init; } = int.MaxValue;

    /// <summary>QoS 0 messages that may wait behind a <see cref="Backlog"/> (<see cref="BrokerOptions.MaximumPendingQoS0"/>).</summary>
    public int PendingQoS0Limit { get; init; } = int.MaxValue;

    /// <summary>The queue is under its limit; read without the lock as a hint (choosing a shared subscriber), else under <see cref="Gate"/>.</summary>
    public bool HasQueueRoom => QueuedCount < QueueLimit;

    /// <summary>
    /// Offline for its whole expiry interval. Confirmed under the gate, as the fields change together: read between a
    /// detach's two writes, a session that never disconnected before would look offline since the machine started.
    /// The look without the lock first keeps the housekeeping's pass over every session from taking every gate.
    /// </summary>
    public bool IsExpired(long now)
    {
        if (!HasExpired(now))
        {
            return false;
        }
        lock (Gate)
        {
            return HasExpired(now);
        }
    }

    private bool HasExpired(long now) => Connection is null && ExpiryInterval != uint.MaxValue && now - DisconnectedAt >= ExpiryInterval * 1000L;

    /// <summary>
    /// Hands a message to the session: QoS 0 straight to the connection (dropped when offline or backed up),
    /// QoS 1/2 into the flight window or the queue; <paramref name="whenFull"/> says what a full queue does.
    /// <paramref name="matched"/>, when given, are the subscriptions it was routed through.
    /// </summary>
    public DeliveryOutcome Deliver(Delivery delivery, QueueFull whenFull, ReadOnlySpan<SubscriptionEntry> matched = default)
    {
        lock (Gate)
        {
            if (!matched.IsEmpty && AllEnded(matched))
            {
                return DeliveryOutcome.Unsubscribed;
            }
            if (HasEnded && delivery.SharedThrough is not null && delivery.QoS != QualityOfService.AtMostOnce)
            {
                // Routed just before the session ended: its queue has already gone back to the group, this follows.
                return DeliveryOutcome.MemberEnded;
            }
            if (_backlog is not null && delivery.SharedThrough is null)
            {
                // Behind retained messages the client has yet to take: in order, bounded as the queue and a slow client's
                // QoS 0 messages are (each on its own: QoS 0 ones do not crowd out QoS 1/2 ones).
                bool qos0 = delivery.QoS == QualityOfService.AtMostOnce;
                if (qos0 ? _backlog.HeldQoS0 >= PendingQoS0Limit : _backlog.HeldQoS12 >= QueueLimit)
                {
                    if (qos0)
                    {
                        Connection?.CountBackedUpDrop();
                    }
                    return DeliveryOutcome.Dropped;
                }
                _backlog.Hold(delivery);
                return DeliveryOutcome.Accepted;
            }
            if (delivery.QoS == QualityOfService.AtMostOnce)
            {
                return Connection?.TrySendQoS0(delivery) == true ? DeliveryOutcome.Accepted : DeliveryOutcome.Dropped;
            }
            _queued ??= new Queue<Delivery>();
            DeliveryOutcome outcome = DeliveryOutcome.Accepted;
            if (_queued.Count >= QueueLimit)
            {
                DropExpiredHead();
            }
            if (_queued.Count >= QueueLimit && whenFull != QueueFull.Exceed)
            {
                // Back-pressure instead of loss while the subscriber is online and keeping up: a waiting publisher adds
                // one message past the limit, one that may not wait (MqttConnection.WaitForSubscribersAsync) more; at
                // twice the limit the rest is dropped.
                if (whenFull == QueueFull.Drop || Connection is null || _stalled || _queued.Count >= 2L * QueueLimit)
                {
                    return DeliveryOutcome.Dropped;
                }
                outcome = DeliveryOutcome.AcceptedOverLimit;
            }
            _queued.Enqueue(delivery);
            Pump();
            return outcome;
        }
    }

    /// <summary>
    /// Sends a new subscription's retained messages, the <paramref name="matches"/> taken from <paramref name="store"/>
    /// at <paramref name="version"/>, as <paramref name="connection"/> takes them, after what its <see cref="Backlog"/>
    /// holds already. Past <paramref name="limit"/> retained messages waiting in all (0 for no limit) the rest are dropped,
    /// and counted in <paramref name="dropped"/>. Returns the backlog when the caller is to feed it from now on
    /// (<see cref="FeedBacklog"/>): the connection cannot take all of it now, and nobody feeds it yet.
    /// </summary>
    public Backlog? AddRetained(MqttConnection connection, SubscriptionEntry entry, List<ApplicationMessage> matches,
        RetainedStore store, long version, long limit, out int dropped)
    {
        lock (Gate)
        {
            dropped = 0;
            if (Connection != connection)
            {
                return null;
            }
            Backlog backlog = _backlog ??= new Backlog();
            int kept = limit > 0 ? (int)Math.Clamp(limit - backlog.RetainedRemaining, 0, matches.Count) : matches.Count;
            dropped = matches.Count - kept;
            if (kept > 0)
            {
                backlog.Add(new RetainedBurst(entry, matches, kept, store, version));
            }
            if (HandOnBacklog(connection) == BacklogWait.None || backlog.HasFeeder)
            {
                return null;
            }
            backlog.HasFeeder = true;
            return backlog;
        }
    }

    /// <summary>
    /// Hands <paramref name="backlog"/> on to the connection, in order, while it takes it. Returns what the rest waits for;
    /// None when it was all handed on (deliveries go straight to the connection again), or the backlog is gone.
    /// </summary>
    public BacklogWait FeedBacklog(MqttConnection connection, Backlog backlog)
    {
        lock (Gate)
        {
            return _backlog == backlog && Connection == connection ? HandOnBacklog(connection) : BacklogWait.None;
        }
    }

    /// <summary>
    /// QoS 0 messages go while the connection's output is within its byte bound (past the count that drops live ones:
    /// the bound limits them), QoS 1/2 ones into the queue while it has room.
    /// </summary>
    private BacklogWait HandOnBacklog(MqttConnection connection)
    {
        long now = Environment.TickCount64;
        BacklogWait wait = BacklogWait.None;
        while (_backlog!.TryPeek(now, out Delivery delivery))
        {
            if (delivery.QoS == QualityOfService.AtMostOnce)
            {
                if (connection.IsOutputOverBound)
                {
                    wait = BacklogWait.Output;
                    break;
                }
                connection.SendFromBacklog(delivery);
            }
            else if (HasQueueRoom)
            {
                (_queued ??= new Queue<Delivery>()).Enqueue(delivery);
            }
            else
            {
                wait = BacklogWait.QueueRoom;
                break;
            }
            _backlog.Advance();
        }
        if (wait == BacklogWait.None)
        {
            _backlog = null;
        }
        Pump();
        return wait;
    }

    /// <summary>
    /// Completes once a quarter of the queue is free (when held publishers go on too) and at least one place (a queue
    /// of fewer than four places has a quarter free when full), or once the connection has left.
    /// </summary>
    public Task RoomForARun(MqttConnection connection)
    {
        lock (Gate)
        {
            if (Connection != connection || (HasRoomForARun && HasQueueRoom))
            {
                return Task.CompletedTask;
            }
            return (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>
    /// The connection the backlog was for has gone: what it holds is treated as the messages of an offline session,
    /// QoS 1/2 ones queued while there is room, the rest not sent. Returns how many routed messages that dropped: the
    /// retained ones not sent are not counted, as no publication was lost (the store keeps them), and counting them
    /// made a few stuck `#` subscribers leaving look like millions of lost messages.
    /// </summary>
    private int SettleBacklog()
    {
        int dropped = 0;
        long now = Environment.TickCount64;
        while (_backlog is not null)
        {
            // Under the broker's session map lock (Claim): a burst of a million messages must not be walked to drop them.
            _backlog.KeepOfHeadBurst(QueueLimit - QueuedCount);
            if (!_backlog.TryPeek(now, out Delivery delivery))
            {
                break;
            }
            if (delivery.QoS != QualityOfService.AtMostOnce && HasQueueRoom)
            {
                (_queued ??= new Queue<Delivery>()).Enqueue(delivery);
            }
            else if (_backlog.HeadIsRouted)
            {
                dropped++;
            }
            _backlog.Advance();
        }
        _backlog = null;
        return dropped;
    }

    /// <summary>
    /// Forgets the expired messages at the head of the queue [MQTT-3.3.2-5], which would otherwise hold the places of
    /// fresh ones while the client is away. Only the head: messages of one topic usually share an expiry, so the
    /// oldest expire first, and a full queue must not cost a scan per message.
    /// </summary>
    private void DropExpiredHead()
    {
        long now = Environment.TickCount64;
        while (_queued!.TryPeek(out Delivery? oldest) && oldest.Message.IsExpired(now))
        {
            _queued.Dequeue();
        }
    }

    private static bool AllEnded(ReadOnlySpan<SubscriptionEntry> matched)
    {
        foreach (SubscriptionEntry entry in matched)
        {
            if (!entry.HasEnded)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Takes out, when the session ends, what Shared Subscriptions gave it and its client may not have received, in the
    /// order it was to go out, so that each group can give it to another member (4.8.2): QoS 1 messages in flight
    /// (unacknowledged) or queued, and QoS 2 messages still queued. A QoS 2 message in flight stays: the client may have
    /// received it, and then no other member may be sent it [MQTT-4.8.2-5] (after PUBREC the client surely has it).
    /// Null when there is none.
    /// </summary>
    public List<Delivery>? TakeUnfinishedSharedDeliveries()
    {
        lock (Gate)
        {
            List<Delivery>? taken = null;
            if (_inflight is { Count: > 0 })
            {
                foreach (Delivery delivery in _inflight.Values)
                {
                    if (delivery.SharedThrough is not null && delivery.QoS == QualityOfService.AtLeastOnce)
                    {
                        (taken ??= []).Add(delivery);
                    }
                }
                taken?.Sort(static (a, b) => a.FlightOrder.CompareTo(b.FlightOrder));
                foreach (Delivery delivery in taken ?? [])
                {
                    _inflight.Remove(delivery.PacketId);
                    if (delivery.AwaitingResend)
                    {
                        delivery.AwaitingResend = false;
                        _awaitingResend--;
                    }
                }
            }
            if (_queued is { Count: > 0 })
            {
                int count = _queued.Count;
                for (int i = 0; i < count; i++)
                {
                    Delivery delivery = _queued.Dequeue();
                    if (delivery.SharedThrough is not null)
                    {
                        (taken ??= []).Add(delivery);
                    }
                    else
                    {
                        _queued.Enqueue(delivery);
                    }
                }
                ReleasePublishers();
            }
            return taken;
        }
    }

    /// <summary>
    /// Waits, for a publisher whose message found this session's queue full, until a quarter of the queue is free, at most
    /// until <paramref name="deadline"/> (<see cref="Environment.TickCount64"/>). A subscriber that does not take that
    /// much in time is slow: the wait ends, and until a quarter of its queue is free, and <see cref="StallCooldownHolds"/>
    /// times <paramref name="maximumHold"/> have passed, its excess messages are dropped without holding anyone (as
    /// Mosquitto's are). A burst is absorbed; a publisher is not kept for long (its own PINGREQ waits unread behind
    /// what it sent). Returns false when the wait ended for a slow subscriber.
    /// </summary>
    public async ValueTask<bool> WaitForRoomAsync(long deadline, TimeSpan maximumHold)
    {
        while (true)
        {
            Task room;
            long left;
            lock (Gate)
            {
                if (Connection is null || _stalled || HasRoomForARun)
                {
                    return true;
                }
                long now = Environment.TickCount64;
                left = deadline - now;
                if (left <= 0)
                {
                    _stalled = true;
                    _holdsResumeAt = CooldownEnd(now, maximumHold);
                    ReleasePublishers();
                    return false;
                }
                room = (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
            await Task.WhenAny(room, Task.Delay(TimeSpan.FromMilliseconds(left)));
        }
    }

    /// <summary>
    /// After a hold that ended for a slow subscriber, for this many maximum holds neither does that subscriber hold
    /// anyone, even if it catches up sooner, nor is that publisher held (MqttConnection.WaitForSubscribersAsync):
    /// subscribers that stop and go again (or reconnect) every second would otherwise hold publishers most of the time.
    /// </summary>
    public const int StallCooldownHolds = 10;

    /// <summary>When a cool-down begun at <paramref name="now"/> ends (<see cref="StallCooldownHolds"/>).</summary>
    public static long CooldownEnd(long now, TimeSpan maximumHold) => now + StallCooldownHolds * (long)maximumHold.TotalMilliseconds;

    /// <summary>
    /// Held publishers go on once a quarter of the queue is free, not at its first free place: each then sends a run
    /// of messages per wake-up instead of one, and the subscriber still has three quarters of a queue to work through
    /// meanwhile. (At half, the stop-and-go cost a tenth to a third of the rate of a fan-in into a slow subscriber:
    /// docs/PERF.md, independent check.)
    /// </summary>
    private bool HasRoomForARun => QueuedCount <= QueueLimit - QueueLimit / 4;

    private void ReleasePublishers()
    {
        _room?.SetResult();
        _room = null;
    }

    /// <summary>PUBACK for QoS 1 or PUBCOMP for QoS 2: the flow is over; the window has room again.</summary>
    public void Complete(ushort packetId)
    {
        lock (Gate)
        {
            if (_inflight is not null && _inflight.Remove(packetId, out Delivery? delivery))
            {
                if (delivery.AwaitingResend)
                {
                    // Acknowledged from what the client had before this connection: no resend needed.
                    delivery.AwaitingResend = false;
                    _awaitingResend--;
                }
                Pump();
            }
        }
    }

    /// <summary>PUBREC: the message is received; from now on only PUBREL is sent for it.</summary>
    public bool Release(ushort packetId)
    {
        lock (Gate)
        {
            if (_inflight is not null && _inflight.TryGetValue(packetId, out Delivery? delivery) && delivery.QoS == QualityOfService.ExactlyOnce)
            {
                delivery.Released = true;
                return true;
            }
            return false;
        }
    }

    /// <summary>PUBREC or PUBACK with a failure Reason Code ends the flow too (4.3.3).</summary>
    public void Abandon(ushort packetId) => Complete(packetId);

    /// <summary>
    /// A connection is given the session, under the broker's map lock and before its CONNACK: from then on the
    /// connection it replaces can no longer detach it, nor housekeeping expire it, before <see cref="Attach"/>.
    /// Returns how many messages the backlog of the connection it replaces dropped (<see cref="SettleBacklog"/>).
    /// </summary>
    public int Claim(MqttConnection connection, uint expiryInterval)
    {
        lock (Gate)
        {
            int dropped = SettleBacklog();
            ReleasePublishers(); // the feeder of that backlog waits no longer
            Connection = connection;
            Client = connection.Client;
            ExpiryInterval = expiryInterval;
            IsCleanSession = expiryInterval == 0 && connection.Version != ProtocolVersion.V500;
            _attached = false;
            return dropped;
        }
    }

    /// <summary>
    /// Claimed last by a 3.1.1 or 3.1 connection with Clean Session 1: its state must not be reused by any later
    /// session [MQTT-3.1.2-6], even by a takeover that asks to resume while the connection is still open.
    /// </summary>
    public bool IsCleanSession { get; private set; }

    /// <summary>DISCONNECT's Session Expiry Interval: taken only from the session's current connection, not one it replaced.</summary>
    public void SetExpiryFrom(MqttConnection connection, uint expiryInterval)
    {
        lock (Gate)
        {
            if (Connection == connection)
            {
                ExpiryInterval = expiryInterval;
            }
        }
    }

    /// <summary>
    /// The connection that claimed this session sent its CONNACK: resend what is in flight (DUP set, PUBREL for released
    /// QoS 2), then the queue. Nothing when another connection claimed the session meanwhile: it is taking this one's place.
    /// </summary>
    public void Attach(MqttConnection connection)
    {
        lock (Gate)
        {
            if (Connection != connection)
            {
                return;
            }
            _attached = true;
            _resend?.Clear();
            _awaitingResend = 0;
            if (_inflight is { Count: > 0 })
            {
                // [MQTT-4.6.0-5] resend in the original order; the dictionary's order is lost once freed slots are reused.
                var inflight = new List<Delivery>(_inflight.Count);
                foreach (Delivery delivery in _inflight.Values)
                {
                    inflight.Add(delivery);
                }
                inflight.Sort(static (a, b) => a.FlightOrder.CompareTo(b.FlightOrder));
                // The new connection's window may be smaller than what is in flight [MQTT-3.3.4-9]: what does not fit
                // waits, with its Packet Identifier, until acknowledgements make room (Pump).
                _resend = new Queue<Delivery>(inflight);
                foreach (Delivery delivery in inflight)
                {
                    delivery.AwaitingResend = true;
                }
                _awaitingResend = inflight.Count;
            }
            Pump();
        }
    }

    /// <summary>The connection has ended; returns how many messages its backlog dropped (<see cref="SettleBacklog"/>).</summary>
    public int Detach(MqttConnection connection, long now)
    {
        lock (Gate)
        {
            if (Connection != connection)
            {
                return 0;
            }
            DisconnectedAt = now;
            Connection = null;
            // Offline, the queue only drops what does not fit: nobody waits for a client that is gone.
            ReleasePublishers();
            return SettleBacklog();
        }
    }

    /// <summary>The connection's outbound queue fell back under its bound: put waiting messages in flight again.</summary>
    public void ResumeDeliveries(MqttConnection connection)
    {
        lock (Gate)
        {
            if (Connection == connection)
            {
                Pump();
            }
        }
    }

    /// <summary>
    /// A copy of what a state file keeps (<see cref="SessionState"/>), taken under the lock: the deliveries are copied
    /// too, as a connection may move them on while the file is written. A connected session counts as disconnected now.
    /// </summary>
    public SessionState Capture(long now)
    {
        lock (Gate)
        {
            var state = new SessionState
            {
                ClientId = ClientId,
                UserName = UserName,
                ExpiryInterval = ExpiryInterval,
                DisconnectedAt = IsConnected ? now : DisconnectedAt,
                WasConnected = IsConnected,
                LastPacketId = _lastPacketId,
            };
            foreach (SubscriptionEntry entry in _subscriptions?.Values ?? (IEnumerable<SubscriptionEntry>)[])
            {
                var options = new Subscription(default, entry.MaximumQoS, entry.NoLocal, entry.RetainAsPublished, entry.RetainHandling);
                state.Subscriptions.Add(new SavedSubscription(entry.Filter, options, entry.SubscriptionIdentifier));
            }
            foreach (Delivery delivery in _inflight?.Values ?? (IEnumerable<Delivery>)[])
            {
                state.Inflight.Add(delivery.Copy());
            }
            state.Inflight.Sort(static (a, b) => a.FlightOrder.CompareTo(b.FlightOrder));
            foreach (Delivery delivery in _queued ?? (IEnumerable<Delivery>)[])
            {
                state.Queued.Add(delivery.Copy());
            }
            foreach (Delivery delivery in _backlog?.Waiting(now, Math.Max(0, QueueLimit - state.Queued.Count)) ?? [])
            {
                if (delivery.QoS != QualityOfService.AtMostOnce)
                {
                    state.Queued.Add(delivery.Copy());
                }
            }
            state.IncomingQoS2.AddRange(_incomingQoS2 ?? []);
            return state;
        }
    }

    /// <summary>
    /// Takes back what a state file kept, before the broker listens (subscriptions go through the broker, as a
    /// SUBSCRIBE's do). In-flight deliveries are resent by <see cref="Attach"/> when the client comes back.
    /// <paramref name="expiryInterval"/> is the saved one within today's cap.
    /// </summary>
    public void Restore(SessionState state, uint expiryInterval, long now)
    {
        lock (Gate)
        {
            ExpiryInterval = expiryInterval;
            DisconnectedAt = state.WasConnected ? now : state.DisconnectedAt;
            _lastPacketId = state.LastPacketId;
            foreach (Delivery delivery in state.Inflight)
            {
                (_inflight ??= [])[delivery.PacketId] = delivery;
                _flightOrder = Math.Max(_flightOrder, delivery.FlightOrder);
            }
            foreach (Delivery delivery in state.Queued)
            {
                (_queued ??= new Queue<Delivery>()).Enqueue(delivery);
            }
            foreach (ushort packetId in state.IncomingQoS2)
            {
                IncomingQoS2.Add(packetId);
            }
        }
    }

    /// <summary>
    /// Moves queued messages into flight while the connection's flight window allows [MQTT-3.3.4-9] and the
    /// connection's outbound queue is within its byte bound; over the bound they wait here, and the connection
    /// calls <see cref="ResumeDeliveries"/> once it has written enough. Publishers waiting for room go on once
    /// a quarter of the queue is free.
    /// </summary>
    private void Pump()
    {
        MqttConnection? connection = Connection;
        if (connection is null || !_attached)
        {
            // Between a CONNECT's claim and its CONNACK nothing goes out: Attach first marks what is in flight for resending.
            return;
        }
        while (_awaitingResend > 0 && _inflight!.Count - _awaitingResend < connection.FlightWindow)
        {
            Delivery delivery = _resend!.Dequeue();
            if (delivery.AwaitingResend)
            {
                delivery.AwaitingResend = false;
                _awaitingResend--;
                connection.Send(delivery);
            }
        }
        if (_queued is null)
        {
            return;
        }
        _inflight ??= [];
        long now = Environment.TickCount64;
        while (_inflight.Count < connection.FlightWindow && _queued.TryPeek(out Delivery? delivery))
        {
            if (delivery.Message.IsExpired(now))
            {
                _queued.Dequeue();
                continue;
            }
            delivery.PacketId = NextPacketId(_inflight);
            if (!connection.TrySendWithinBound(delivery))
            {
                delivery.PacketId = 0;
                break;
            }
            _queued.Dequeue();
            delivery.FlightOrder = ++_flightOrder;
            _inflight[delivery.PacketId] = delivery;
        }
        if (HasRoomForARun)
        {
            ReleasePublishers();
            _stalled &= now < _holdsResumeAt;
        }
    }

    private ushort NextPacketId(Dictionary<ushort, Delivery> inflight)
    {
        do
        {
            _lastPacketId = _lastPacketId == ushort.MaxValue ? (ushort)1 : (ushort)(_lastPacketId + 1);
        }
        while (inflight.ContainsKey(_lastPacketId));
        return _lastPacketId;
    }
}
