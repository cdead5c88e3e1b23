namespace Mqtt.Broker;

/// <summary>Broker counters, updated without locks; read by $SYS topics and tests.</summary>
public sealed class BrokerStatistics
{
    private long _connectionsOpen;
    private long _connectionsTotal;
    private long _connectionsRefused;
    private long _messagesReceived;
    private long _messagesSent;
    private long _messagesDropped;
    private long _backedUpDrops;
    private long _bytesReceived;
    private long _bytesSent;
    private long _inputYields;

    /// <summary>Connections open now.</summary>
    public long ConnectionsOpen => Interlocked.Read(ref _connectionsOpen);

    /// <summary>Connections accepted since start.</summary>
    public long ConnectionsTotal => Interlocked.Read(ref _connectionsTotal);

    /// <summary>
    /// Connections closed as soon as accepted, before their CONNECT was read, because the broker held as many as it may:
    /// <see cref="BrokerOptions.MaximumConnections"/>, or fewer when the open-files limit cannot hold that many.
    /// </summary>
    public long ConnectionsRefused => Interlocked.Read(ref _connectionsRefused);

    /// <summary>PUBLISH packets received.</summary>
    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

    /// <summary>PUBLISH packets sent.</summary>
    public long MessagesSent => Interlocked.Read(ref _messagesSent);

    /// <summary>Deliveries dropped (queue full, slow client, too large for the client).</summary>
    public long MessagesDropped => Interlocked.Read(ref _messagesDropped);

    /// <summary>
    /// QoS 0 deliveries dropped because the subscriber's connection was backed up: over
    /// <see cref="BrokerOptions.MaximumQueuedBytes"/> or <see cref="BrokerOptions.MaximumPendingQoS0"/>. Also in <see cref="MessagesDropped"/>.
    /// </summary>
    public long BackedUpDrops => Interlocked.Read(ref _backedUpDrops);

    /// <summary>Bytes received.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Bytes sent.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>
    /// Times a connection's input had held its thread for a whole turn (MqttConnection.InputTurn) and let other
    /// connections run first: a sign of input that is costly to handle.
    /// </summary>
    public long InputYields => Interlocked.Read(ref _inputYields);

    internal void InputYielded() => Interlocked.Increment(ref _inputYields);

    internal void ConnectionOpened()
    {
        Interlocked.Increment(ref _connectionsOpen);
        Interlocked.Increment(ref _connectionsTotal);
    }

    /// <summary>Counts a refused connection and returns <see cref="ConnectionsRefused"/> with it.</summary>
    internal long ConnectionRefused() => Interlocked.Increment(ref _connectionsRefused);

    internal void ConnectionClosed() => Interlocked.Decrement(ref _connectionsOpen);

    internal void MessageReceived(long bytes)
    {
        Interlocked.Increment(ref _messagesReceived);
        Interlocked.Add(ref _bytesReceived, bytes);
    }

    internal void MessageSent(long bytes)
    {
        Interlocked.Increment(ref _messagesSent);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    internal void MessageDropped() => Interlocked.Increment(ref _messagesDropped);

    internal void MessageDropped(int count) => Interlocked.Add(ref _messagesDropped, count);

    internal void BackedUpDrop() => Interlocked.Increment(ref _backedUpDrops);
}
