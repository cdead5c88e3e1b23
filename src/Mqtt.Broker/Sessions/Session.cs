using Mqtt.Codec;

namespace Mqtt.Broker;

/// <summary>
/// Session State on the server (4.1): subscriptions, QoS 1/2 messages in flight or queued, and QoS 2
/// packet ids received but not yet released. It outlives connections while its expiry allows.
/// Every member is guarded by the session's own lock.
/// </summary>
internal sealed class Session
{
    private readonly Queue<Delivery> _queued = new();
    private readonly Dictionary<ushort, Delivery> _inflight = [];
    private ushort _lastPacketId;
    private long _flightOrder;

    public Session(string clientId, string? userName)
    {
        ClientId = clientId;
        UserName = userName;
    }

    public Lock Gate { get; } = new();

    /// <summary>A number unique to this session, to group a publish's matches by session.</summary>
    public int Id { get; init; }

    public string ClientId { get; }

    public string? UserName { get; }

    public Dictionary<string, SubscriptionEntry> Subscriptions { get; } = new(StringComparer.Ordinal);

    /// <summary>Packet ids of QoS 2 PUBLISHes received and not yet released by PUBREL (4.3.3).</summary>
    public HashSet<ushort> IncomingQoS2 { get; } = [];

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

    public int QueuedCount => _queued.Count;

    public bool IsExpired(long now) => Connection is null && ExpiryInterval != uint.MaxValue
        && now - DisconnectedAt >= ExpiryInterval * 1000L;

    /// <summary>
    /// Hands a message to the session: QoS 0 straight to the connection (dropped when offline or backed up),
    /// QoS 1/2 into the flight window or the queue. Returns false when it had to be dropped.
    /// </summary>
    public bool Deliver(Delivery delivery, int maxQueued)
    {
        lock (Gate)
        {
            if (delivery.QoS == QualityOfService.AtMostOnce)
            {
                return Connection?.TrySendQoS0(delivery) ?? false;
            }
            if (_queued.Count >= maxQueued)
            {
                return false;
            }
            _queued.Enqueue(delivery);
            Pump();
            return true;
        }
    }

    /// <summary>PUBACK for QoS 1 or PUBCOMP for QoS 2: the flow is over; the window has room again.</summary>
    public void Complete(ushort packetId)
    {
        lock (Gate)
        {
            if (_inflight.Remove(packetId))
            {
                Pump();
            }
        }
    }

    /// <summary>PUBREC: the message is received; from now on only PUBREL is sent for it.</summary>
    public bool Release(ushort packetId)
    {
        lock (Gate)
        {
            if (_inflight.TryGetValue(packetId, out Delivery? delivery) && delivery.QoS == QualityOfService.ExactlyOnce)
            {
                delivery.Released = true;
                return true;
            }
            return false;
        }
    }

    /// <summary>PUBREC or PUBACK with a failure Reason Code ends the flow too (4.3.3).</summary>
    public void Abandon(ushort packetId) => Complete(packetId);

    /// <summary>A connection took this session: resend what is in flight (DUP set, PUBREL for released QoS 2), then the queue.</summary>
    public void Attach(MqttConnection connection)
    {
        lock (Gate)
        {
            Connection = connection;
            // [MQTT-4.6.0-5] resend in the original order; the dictionary's order is lost once freed slots are reused.
            var inflight = new List<Delivery>(_inflight.Values);
            inflight.Sort(static (a, b) => a.FlightOrder.CompareTo(b.FlightOrder));
            foreach (Delivery delivery in inflight)
            {
                connection.Send(delivery);
            }
            Pump();
        }
    }

    public void Detach(MqttConnection connection, long now)
    {
        lock (Gate)
        {
            if (Connection == connection)
            {
                Connection = null;
                DisconnectedAt = now;
            }
        }
    }

    // Moves queued messages into flight while the client's Receive Maximum allows [MQTT-3.3.4-9].
    private void Pump()
    {
        MqttConnection? connection = Connection;
        if (connection is null)
        {
            return;
        }
        long now = Environment.TickCount64;
        while (_inflight.Count < connection.ClientReceiveMaximum && _queued.TryDequeue(out Delivery? delivery))
        {
            if (delivery.Message.IsExpired(now))
            {
                continue;
            }
            delivery.PacketId = NextPacketId();
            delivery.FlightOrder = ++_flightOrder;
            _inflight[delivery.PacketId] = delivery;
            connection.Send(delivery);
        }
    }

    private ushort NextPacketId()
    {
        do
        {
            _lastPacketId = _lastPacketId == ushort.MaxValue ? (ushort)1 : (ushort)(_lastPacketId + 1);
        }
        while (_inflight.ContainsKey(_lastPacketId));
        return _lastPacketId;
    }
}
