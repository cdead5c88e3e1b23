using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>
/// One network connection of a client: the read loop (it decodes every packet already buffered before it awaits
/// the socket again), the single write path (an async lock; the last writer in a burst flushes for all), keep alive
/// and the per-connection topic alias maps (aliases live only as long as the connection, section 3.3.2.3.4).
/// </summary>
internal sealed class MqttConnection
{
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(1);

    private readonly MqttTransport _transport;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly ILogger? _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly CancellationTokenSource _delivery = new(); // ends the read loop's waits for the application
    private readonly TaskCompletionSource _inputEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _discarding; // after our DISCONNECT: what the server still sends is read and dropped
    private readonly TaskCompletionSource<Exception?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IFrameHandler? _handler;
    private int _waitingWriters;
    private bool _unflushed;
    private readonly TaskCompletionSource _resent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _closing;
    private long _lastSentTicks = Environment.TickCount64;
    private long _pingSentTicks;
    private int _pingWriting;
    private bool _awaitingApplication;
    private Dictionary<string, ushort>? _outgoingAliases;
    private ushort _outgoingAliasMaximum;
    private string?[]? _incomingAliases;

    public MqttConnection(MqttTransport transport, ProtocolVersion version, long number, ILogger? logger)
    {
        _transport = transport;
        _input = transport.Input;
        _output = transport.Output;
        Version = version;
        Number = number;
        _logger = logger;
    }

    public ProtocolVersion Version { get; }

    /// <summary>Counts connections of one client, so late acknowledgements are not sent on a newer connection.</summary>
    public long Number { get; }

    /// <summary>Our Maximum Packet Size: larger packets from the server are refused with 0x95.</summary>
    public int MaximumIncomingPacketSize { get; set; } = VariableByteInteger.MaxValue + 5;

    /// <summary>The server's Maximum Packet Size [MQTT-3.1.2-24].</summary>
    public uint MaximumOutgoingPacketSize { get; set; } = uint.MaxValue;

    public Task<Exception?> Closed => _closed.Task;

    public bool IsClosed => Volatile.Read(ref _closing) != 0;

    /// <summary>
    /// Completes once the session's re-sends (PUBRELs, the PUBLISHes the new Receive Maximum lets through) are written
    /// on this connection: new publications wait for it, so that none overtakes them [MQTT-4.6.0-1].
    /// </summary>
    public Task Resent => _resent.Task;

    /// <summary>The re-sends are written (or given up): publications may go.</summary>
    public void MarkResent() => _resent.TrySetResult();

    public CancellationToken Lifetime => _lifetime.Token;

    /// <summary>Cancelled when the connection closes or starts to (our DISCONNECT): a message waiting for room in the application's queue is then dropped, unacknowledged.</summary>
    public CancellationToken Delivery => _delivery.Token;

    /// <summary>True while the read loop waits for room in the application's message queue (for tests).</summary>
    internal bool AwaitingApplication => Volatile.Read(ref _awaitingApplication);

    /// <summary>Topic aliases towards the server, up to its Topic Alias Maximum (0 turns them off).</summary>
    public void UseOutgoingTopicAliases(ushort maximum)
    {
        _outgoingAliasMaximum = maximum;
        _outgoingAliases = maximum > 0 ? new Dictionary<string, ushort>(StringComparer.Ordinal) : null;
    }

    /// <summary>Topic aliases from the server, up to our own Topic Alias Maximum.</summary>
    public void AcceptIncomingTopicAliases(ushort maximum) => _incomingAliases = maximum > 0 ? new string?[maximum + 1] : null;

    /// <summary>Starts the read loop and, when keep alive is on, the keep alive loop.</summary>
    public void Start(IFrameHandler handler, TimeSpan keepAlive, TimeSpan pingTimeout)
    {
        _handler = handler;
        _ = Task.Run(ReadLoopAsync);
        if (keepAlive > TimeSpan.Zero)
        {
            _ = Task.Run(() => KeepAliveLoopAsync(keepAlive, pingTimeout));
        }
    }

    /// <summary>Reads one packet during the handshake (before <see cref="Start"/>), as an owned copy.</summary>
    public async ValueTask<OwnedFrame> ReadPacketAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            SequencePosition consumed = buffer.Start;
            SequencePosition examined = buffer.Start;
            try
            {
                switch (MqttFrameReader.TryRead(buffer, MaximumIncomingPacketSize, ref consumed, ref examined, out MqttFrame frame, out DecodeError error))
                {
                    case DecodeStatus.Complete:
                        return new OwnedFrame(frame.Type, frame.Flags, frame.HeaderLength, frame.Body.ToArray());
                    case DecodeStatus.Invalid:
                        throw new MqttProtocolException(error.ReasonCode, error.Message);
                }
                if (result.IsCompleted)
                {
                    throw new MqttConnectionLostException(buffer.IsEmpty
                        ? "the server closed the connection during the handshake"
                        : "the server closed the connection in the middle of a packet during the handshake");
                }
            }
            finally
            {
                _input.AdvanceTo(consumed, examined);
            }
        }
    }

    /// <summary>Sends one packet through the write path.</summary>
    public async ValueTask SendAsync<TPacket>(TPacket packet, CancellationToken cancellationToken)
        where TPacket : struct, IMqttPacket
    {
        await EnterWriteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            int size = packet.GetSize(Version);
            if ((uint)size > MaximumOutgoingPacketSize)
            {
                throw new MqttException($"the packet is {size} bytes, over the server's Maximum Packet Size of {MaximumOutgoingPacketSize}", ReasonCode.PacketTooLarge);
            }
            packet.Write(_output, Version);
            Volatile.Write(ref _lastSentTicks, Environment.TickCount64);
            await FlushIfLastAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (IsTransportFailure(e))
        {
            throw Lost(e);
        }
        catch (MqttException)
        {
            await FlushLeftToUsAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Sends a PUBLISH. Allocates nothing in steady state: the topic is encoded into a pooled buffer (or replaced by
    /// its alias), the payload is wrapped, not copied, and a synchronous completion needs no task.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendPublishAsync(string topic, ReadOnlyMemory<byte> payload, QualityOfService qos, bool retain, bool duplicate,
        ushort packetId, MqttApplicationMessage? message, CancellationToken cancellationToken)
    {
        await EnterWriteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            WritePublish(topic, payload, qos, retain, duplicate, packetId, message);
            await FlushIfLastAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (IsTransportFailure(e))
        {
            throw Lost(e);
        }
        catch (MqttException)
        {
            await FlushLeftToUsAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The topic of an incoming PUBLISH, resolving and recording topic aliases (section 3.3.2.3.4).</summary>
    public string ResolveTopic(in PublishPacket packet)
    {
        if (packet.Properties.TopicAlias is not ushort alias)
        {
            return packet.TopicString;
        }
        if (_incomingAliases is null || alias >= _incomingAliases.Length)
        {
            throw new MqttProtocolException(ReasonCode.TopicAliasInvalid, "[MQTT-3.3.2-9] Topic Alias is above the client's Topic Alias Maximum");
        }
        if (!packet.Topic.IsEmpty)
        {
            return _incomingAliases[alias] = packet.TopicString;
        }
        return _incomingAliases[alias]
            ?? throw new MqttProtocolException(ReasonCode.ProtocolError, "Topic Alias that no Topic Name was mapped to on this connection");
    }

    /// <summary>Marks that the read loop waits for the application (a full message queue): PINGRESP cannot be read meanwhile.</summary>
    public async ValueTask WaitForApplicationAsync(ValueTask pending)
    {
        Volatile.Write(ref _awaitingApplication, true);
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_discarding)
        {
            // Our DISCONNECT is out: the read loop goes on to read and drop the rest (see DisconnectAsync).
        }
        finally
        {
            Volatile.Write(ref _awaitingApplication, false);
            Volatile.Write(ref _pingSentTicks, 0);
        }
    }

    /// <summary>
    /// Closes the connection once: in MQTT 5 a DISCONNECT with <paramref name="disconnectReason"/> first when given
    /// (best effort, bounded), then the socket. <paramref name="reason"/> goes to the handler: null for a requested close.
    /// </summary>
    public async Task CloseAsync(Exception? reason, ReasonCode? disconnectReason)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            await _closed.Task.ConfigureAwait(false);
            return;
        }
        if (disconnectReason is ReasonCode code && Version == ProtocolVersion.V500)
        {
            await TrySendDisconnectAsync(code, CancellationToken.None).ConfigureAwait(false);
        }
        await FinishCloseAsync(reason).ConfigureAwait(false);
    }

    /// <summary>
    /// Closes the connection at the client's request: DISCONNECT (any protocol version; bounded as in
    /// <see cref="CloseAsync"/>, so a server that stopped reading cannot hold it up), then the socket. Cancelling
    /// gives up the DISCONNECT, not the close.
    /// </summary>
    public async Task DisconnectAsync(ReasonCode reasonCode, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            await _closed.Task.ConfigureAwait(false);
            return;
        }
        try
        {
            _discarding = true;
            await _delivery.CancelAsync().ConfigureAwait(false);
            if (await TrySendDisconnectAsync(reasonCode, cancellationToken).ConfigureAwait(false))
            {
                // A lingering close: what the server still sends is read and dropped until it closes (it does on our
                // DISCONNECT), at most CloseGrace. Closed with its bytes unread, the socket would send a reset, and a
                // reset can make the server drop what it had not read yet: our last PUBRECs (at QoS 2 it then sends those
                // messages again) and the DISCONNECT itself (it then publishes the Will). A probe against Mosquitto saw both.
                await Task.WhenAny(_inputEnded.Task, Task.Delay(CloseGrace, cancellationToken)).ConfigureAwait(false);
            }
        }
        finally
        {
            await FinishCloseAsync(null).ConfigureAwait(false);
        }
    }

    private async Task FinishCloseAsync(Exception? reason)
    {
        _logger?.LogDebug("connection {Number} closed: {Reason}", Number, reason?.Message ?? "disconnected");
        _delivery.Cancel();
        _lifetime.Cancel();
        await _transport.DisposeAsync().ConfigureAwait(false);
        _closed.TrySetResult(reason);
        _handler?.OnClosed(this, reason);
    }

    private async Task ReadLoopAsync()
    {
        Exception? failure = null;
        ReasonCode? reply = null;
        try
        {
            while (true)
            {
                ReadResult result = await _input.ReadAsync(_lifetime.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                SequencePosition consumed = buffer.Start;
                SequencePosition examined = buffer.Start;
                try
                {
                    // Decode everything already buffered before awaiting the socket again.
                    while (true)
                    {
                        DecodeStatus status = MqttFrameReader.TryRead(buffer.Slice(consumed), MaximumIncomingPacketSize,
                            ref consumed, ref examined, out MqttFrame frame, out DecodeError error);
                        if (status == DecodeStatus.NeedMoreData)
                        {
                            break;
                        }
                        if (status == DecodeStatus.Invalid)
                        {
                            throw new MqttProtocolException(error.ReasonCode, error.Message);
                        }
                        if (frame.Type == PacketType.PingResp)
                        {
                            if (!PingRespPacket.TryRead(frame, out _, out error))
                            {
                                throw new MqttProtocolException(error.ReasonCode, error.Message);
                            }
                            Volatile.Write(ref _pingSentTicks, 0);
                            continue;
                        }
                        if (_discarding)
                        {
                            continue;
                        }
                        ValueTask handled = _handler!.OnFrameAsync(this, frame);
                        if (!handled.IsCompletedSuccessfully)
                        {
                            await handled.ConfigureAwait(false);
                        }
                    }
                    if (result.IsCompleted || result.IsCanceled)
                    {
                        throw new MqttConnectionLostException(buffer.Slice(consumed).IsEmpty
                            ? "the server closed the connection"
                            : "the server closed the connection in the middle of a packet");
                    }
                }
                finally
                {
                    _input.AdvanceTo(consumed, examined);
                }
            }
        }
        catch (MqttProtocolException e)
        {
            failure = e;
            reply = e.ReasonCode;
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            // Closed from elsewhere; that closer reports why.
        }
        catch (Exception e) when (IsTransportFailure(e))
        {
            failure = IsClosed ? null : Lost(e);
        }
        catch (Exception e)
        {
            failure = e;
        }
        if (failure is not null)
        {
            _logger?.LogDebug("connection {Number} read loop ended: {Message}", Number, failure.Message);
        }
        _inputEnded.TrySetResult();
        await CloseAsync(failure, reply).ConfigureAwait(false);
    }

    /// <summary>
    /// [MQTT-3.1.2-20] A PINGREQ when nothing was sent for about 3/4 of the keep alive; the connection is dead when no
    /// PINGRESP comes within the ping timeout (section 3.1.2.10: the client should close the connection), counted
    /// from the attempt: a PINGREQ stuck behind a write path that a server stopped reading counts as unanswered.
    /// </summary>
    private async Task KeepAliveLoopAsync(TimeSpan keepAlive, TimeSpan pingTimeout)
    {
        long keepAliveMs = (long)keepAlive.TotalMilliseconds;
        long pingTimeoutMs = (long)pingTimeout.TotalMilliseconds;
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(Math.Min(keepAliveMs, pingTimeoutMs) / 4, 50, 2000));
        try
        {
            while (true)
            {
                await Task.Delay(tick, _lifetime.Token).ConfigureAwait(false);
                long now = Environment.TickCount64;
                long pingSent = Volatile.Read(ref _pingSentTicks);
                // While the read loop waits for the application no PINGRESP can be read, so none is waited for; but
                // PINGREQs still go out, or the server would take the silence for a dead client [MQTT-3.1.2-22].
                if (pingSent != 0 && !Volatile.Read(ref _awaitingApplication))
                {
                    if (now - pingSent > pingTimeoutMs)
                    {
                        await CloseAsync(new MqttConnectionLostException(
                            $"no PINGRESP within {pingTimeout.TotalSeconds:0.###} s: the connection is dead", ReasonCode.KeepAliveTimeout), null).ConfigureAwait(false);
                        return;
                    }
                }
                else if (now - Volatile.Read(ref _lastSentTicks) >= keepAliveMs * 3 / 4 && Interlocked.Exchange(ref _pingWriting, 1) == 0)
                {
                    Volatile.Write(ref _pingSentTicks, now);
                    // Not awaited: this loop must keep watching the deadline while the PINGREQ waits for the write lock
                    // (one at a time: a server that stopped reading would otherwise collect a waiting PINGREQ per tick).
                    _ = SendPingAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The connection is closing; the read loop reports why.
        }
    }

    private async Task SendPingAsync()
    {
        try
        {
            await SendAsync(default(PingReqPacket), _lifetime.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or MqttException)
        {
            // The connection is closing; the read loop reports why.
        }
        finally
        {
            Volatile.Write(ref _pingWriting, 0);
        }
    }

    private void WritePublish(string topic, ReadOnlyMemory<byte> payload, QualityOfService qos, bool retain, bool duplicate,
        ushort packetId, MqttApplicationMessage? message)
    {
        bool v5 = Version == ProtocolVersion.V500;
        MqttProperties properties = v5 && message is { HasProperties: true } ? MessageProperties.From(message) : default;
        bool sendTopic = true;
        ushort newAlias = 0;
        if (_outgoingAliases is not null)
        {
            if (_outgoingAliases.TryGetValue(topic, out ushort alias))
            {
                properties.TopicAlias = alias;
                sendTopic = false;
            }
            else if (_outgoingAliases.Count < _outgoingAliasMaximum)
            {
                newAlias = (ushort)(_outgoingAliases.Count + 1);
                properties.TopicAlias = newAlias;
            }
        }
        byte[]? rented = null;
        try
        {
            ReadOnlySequence<byte> topicBytes = default;
            if (sendTopic)
            {
                rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(topic.Length));
                topicBytes = new ReadOnlySequence<byte>(rented, 0, Encoding.UTF8.GetBytes(topic, rented));
            }
            var packet = new PublishPacket
            {
                Topic = topicBytes,
                Payload = new ReadOnlySequence<byte>(payload),
                QoS = qos,
                Retain = retain,
                Duplicate = duplicate,
                PacketId = packetId,
                Properties = properties,
            };
            int size = packet.GetSize(Version);
            if ((uint)size > MaximumOutgoingPacketSize)
            {
                throw new MqttException($"the PUBLISH is {size} bytes, over the server's Maximum Packet Size of {MaximumOutgoingPacketSize}", ReasonCode.PacketTooLarge);
            }
            packet.Write(_output, Version);
            Volatile.Write(ref _lastSentTicks, Environment.TickCount64);
            if (newAlias != 0)
            {
                // Recorded only once the PUBLISH that establishes it is written, so later packets may rely on it.
                _outgoingAliases!.Add(topic, newAlias);
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private ValueTask EnterWriteAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waitingWriters);
        Task wait = _writeLock.WaitAsync(cancellationToken);
        if (wait.IsCompletedSuccessfully)
        {
            Interlocked.Decrement(ref _waitingWriters);
            return default;
        }
        return EnterWriteSlowAsync(wait);
    }

    private async ValueTask EnterWriteSlowAsync(Task wait)
    {
        try
        {
            await wait.ConfigureAwait(false);
        }
        catch
        {
            // The writer before us may have left its bytes for us to flush.
            if (Interlocked.Decrement(ref _waitingWriters) == 0)
            {
                _ = FlushLeftoversAsync();
            }
            throw;
        }
        Interlocked.Decrement(ref _waitingWriters);
    }

    /// <summary>Flushes unless another writer is already waiting: it will flush both packets at once.</summary>
    private ValueTask FlushIfLastAsync()
    {
        if (Volatile.Read(ref _waitingWriters) > 0)
        {
            _unflushed = true;
            return default;
        }
        _unflushed = false;
        // The caller's token is not used here: a flush cancelled half-way would leave half a packet on the wire.
        ValueTask<FlushResult> flush = _output.FlushAsync(CancellationToken.None);
        if (flush.IsCompletedSuccessfully)
        {
            _ = flush.Result;
            return default;
        }
        return AwaitFlushAsync(flush);
    }

    private static async ValueTask AwaitFlushAsync(ValueTask<FlushResult> flush) => await flush.ConfigureAwait(false);

    /// <summary>
    /// A write refused before it wrote anything (a packet over the server's Maximum Packet Size, a closed connection):
    /// an earlier writer that saw this one waiting left its bytes for this one to flush, so they go out now instead of
    /// with some later write (as late as never, without keep alive).
    /// </summary>
    private async ValueTask FlushLeftToUsAsync()
    {
        if (!_unflushed)
        {
            return;
        }
        try
        {
            await FlushIfLastAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (IsTransportFailure(e))
        {
            // The connection is lost: the read loop reports it.
        }
    }

    private async Task FlushLeftoversAsync()
    {
        try
        {
            await _writeLock.WaitAsync().ConfigureAwait(false);
            try
            {
                if (_unflushed && !IsClosed)
                {
                    await FlushIfLastAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception e) when (IsTransportFailure(e))
        {
            // The read loop sees the same failure and closes the connection.
        }
    }

    /// <summary>Sends DISCONNECT, best effort and bounded; true once it was flushed.</summary>
    private async Task<bool> TrySendDisconnectAsync(ReasonCode code, CancellationToken cancellationToken)
    {
        var disconnect = new DisconnectPacket { ReasonCode = code };
        if ((uint)disconnect.GetSize(Version) > MaximumOutgoingPacketSize)
        {
            // [MQTT-3.2.2-15] Not even a DISCONNECT goes over the server's Maximum Packet Size: the socket just closes.
            return false;
        }
        try
        {
            if (!await _writeLock.WaitAsync(CloseGrace, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
            try
            {
                disconnect.Write(_output, Version);
                await _output.FlushAsync().AsTask().WaitAsync(CloseGrace, cancellationToken).ConfigureAwait(false);
                return true;
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception e) when (IsTransportFailure(e) || e is TimeoutException)
        {
            return false; // best effort: the socket is closed next anyway
        }
    }

    private void ThrowIfClosed()
    {
        if (IsClosed)
        {
            throw new MqttConnectionLostException("the connection is closed");
        }
    }

    private static bool IsTransportFailure(Exception e) =>
        e is IOException or SocketException or WebSocketException or ObjectDisposedException or InvalidOperationException { Source: "System.IO.Pipelines" };

    private static MqttConnectionLostException Lost(Exception e) => new($"the connection failed: {e.Message}", null, e);
}
