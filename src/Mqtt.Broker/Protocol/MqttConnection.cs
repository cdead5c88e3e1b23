using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Mqtt.Codec;

namespace Mqtt.Broker;

/// <summary>
/// The server side of one MQTT connection. One async method, <see cref="RunAsync"/>, lives as long as the
/// connection: it reads the transport's <see cref="PipeReader"/> (which waits with zero-byte receives, so no buffer
/// while idle), decodes packets straight from the received bytes and acts on them. Everything sent goes through the <see cref="OutboundQueue"/>, whose drain
/// runs only while there is something to write and calls back <see cref="Write"/> to encode each packet.
/// </summary>
internal sealed partial class MqttConnection
{
    /// <summary>Milliseconds of handling input after which a connection lets others run (<see cref="LetOthersRunAsync"/>).</summary>
    private const long InputTurn = 10;

    /// <summary>
    /// Largest packet a client not yet accepted may send without a share of <see cref="BrokerOptions.MaximumConnectingBytes"/>:
    /// about what an idle connection costs anyway, and room for any CONNECT but one with a large Will.
    /// </summary>
    private const int UnreservedConnectingPacketSize = 8 * 1024;

    private readonly MqttBroker _broker;
    private readonly TransportConnection _transport;
    private readonly OutboundQueue _outbound;
    private readonly long _openedAt = Environment.TickCount64;
    private int _pendingQoS0;
    private long _lastReceived = Environment.TickCount64;
    private long _turnStarted;
    private volatile bool _inputPaused;
    // Keep alive while the input is paused (housekeeping only, but for the reset when a pause starts): the unread bytes
    // last seen, and when they last grew.
    private int _unreadWhilePaused;
    private long _unreadGrewAt;
    private volatile bool _heldBack;
    private volatile bool _lingering;
    private int _handling; // 1 while the read loop handles input
    private int _settled;  // 1 once the Will and the session were settled for this connection's end
    private volatile bool _closing;
    private long _connectingReservation; // bytes of a large CONNECT or AUTH reserved in the broker's ConnectingBytes

    public MqttConnection(MqttBroker broker, Socket socket, SocketListener listener)
    {
        _broker = broker;
        _transport = new TransportConnection(socket, listener.Certificate, listener.IsWebSocket);
        if (listener.IsWebSocket)
        {
            // A client's ping is answered by the outbound drain (the one writer): an empty packet has it run and flush.
            _transport.ControlFrameWaiting = () => Enqueue(OutboundPacket.Encoded([]));
        }
        _outbound = new OutboundQueue(this, _transport, broker.Options.MaximumQueuedBytes);
        Client = new ClientInfo("", null, _transport.RemoteEndPoint, _transport.IsTls);
    }

    public ProtocolVersion Version { get; private set; } = ProtocolVersion.V500;

    public ClientInfo Client { get; private set; }

    /// <summary>
    /// QoS 1/2 messages we may have unacknowledged towards the client: its Receive Maximum [MQTT-3.3.4-9], at most
    /// <see cref="BrokerOptions.MaximumInflightMessages"/>.
    /// </summary>
    public int FlightWindow { get; private set; } = ushort.MaxValue;

    /// <summary>Largest packet the client accepts [MQTT-3.1.2-24].</summary>
    public long ClientMaximumPacketSize { get; private set; } = VariableByteInteger.MaxValue + 5L;

    /// <summary>Bytes waiting to be sent to the client (see <see cref="BrokerOptions.MaximumQueuedBytes"/>).</summary>
    public long QueuedBytes => _outbound.QueuedBytes;

    /// <summary>The output waiting to be sent is over its byte bound (<see cref="BrokerOptions.MaximumQueuedBytes"/>).</summary>
    public bool IsOutputOverBound => _outbound.IsOverBound;

    /// <summary>True while the read loop waits for a subscriber's full queue (back-pressure on this client's publishing).</summary>
    public bool IsHeldBack => _heldBack;

    /// <summary>True while the read loop has stopped reading because the outbound queue is over its bound.</summary>
    public bool IsInputPaused => _inputPaused;

    private BrokerOptions Options => _broker.Options;

    private ILogger Logger => _broker.Logger;

    /// <summary>Runs the connection until it closes, then tells the broker.</summary>
    public async Task RunAsync()
    {
        try
        {
            // The CONNECT timeout (CheckTimeouts) covers the TLS and WebSocket handshakes: it aborts the transport.
            await _transport.OpenAsync();
            PipeReader input = _transport.Input;
            while (true)
            {
                ValueTask<ReadResult> reading = input.ReadAsync();
                if (!reading.IsCompleted)
                {
                    _turnStarted = 0; // waiting for the client: its next input starts a new turn
                }
                ReadResult result = await reading;
                // Only this flag crosses the await below: the connection's state machine stays small.
                bool completed = result.IsCompleted;
                if (_lingering)
                {
                    // Our last packet is out (see AbortAfterLingerAsync): what the client still sends is dropped unread.
                    input.AdvanceTo(result.Buffer.End);
                    if (completed)
                    {
                        return;
                    }
                    continue;
                }
                Interlocked.Exchange(ref _handling, 1); // a fence: a close from another thread now leaves the session to us
                bool handled = await HandleReceivedAsync(input, result.Buffer);
                Interlocked.Exchange(ref _handling, 0); // a fence: the read of _closing below comes after it
                if (_closing)
                {
                    SettleSession();
                }
                if (completed || !handled && !_lingering)
                {
                    return;
                }
                if (!_lingering && _outbound.IsOverBound)
                {
                    // Backpressure: no more input until the client has taken enough of its output; TCP pushes back on it.
                    _unreadWhilePaused = 0;
                    _inputPaused = true;
                    await _outbound.WaitUntilWithinBoundAsync();
                    // Its PINGREQs waited unread meanwhile: they are read now, not overdue.
                    Volatile.Write(ref _lastReceived, Environment.TickCount64);
                    _inputPaused = false;
                    _turnStarted = 0;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException
            or System.Security.Authentication.AuthenticationException)
        {
            Logger.LogDebug("connection {Client} ended: {Error}", AuthAudit.Safe(Client.ClientId), e.Message);
        }
        catch (Exception e)
        {
            Logger.LogError(e, "connection {Client} failed", AuthAudit.Safe(Client.ClientId));
        }
        finally
        {
            await ShutdownAsync();
        }
    }

    /// <summary>Counts a QoS 0 delivery dropped for this client being backed up (<see cref="BrokerStatistics.BackedUpDrops"/>).</summary>
    public void CountBackedUpDrop() => _broker.Statistics.BackedUpDrop();

    /// <summary>Queues a QoS 0 delivery unless the client is already too far behind (then it is dropped and counted).</summary>
    public bool TrySendQoS0(Delivery delivery)
    {
        if (!_connected)
        {
            // The session is ours but the CONNACK not yet queued, and it goes first [MQTT-3.2.0-1].
            return false;
        }
        if (Volatile.Read(ref _pendingQoS0) >= Options.MaximumPendingQoS0 || !_outbound.TryEnqueueWithinBound(OutboundPacket.Publish(delivery)))
        {
            _broker.Statistics.BackedUpDrop();
            return false;
        }
        Interlocked.Increment(ref _pendingQoS0);
        return true;
    }

    /// <summary>
    /// Queues a QoS 0 delivery from the session's <see cref="Backlog"/>, past the count that drops live ones: the backlog
    /// is handed on only while the output is within its byte bound, which limits it.
    /// </summary>
    public void SendFromBacklog(Delivery delivery)
    {
        if (_outbound.Enqueue(OutboundPacket.Publish(delivery)))
        {
            Interlocked.Increment(ref _pendingQoS0);
        }
    }

    /// <summary>Queues a QoS 1/2 delivery the session has put in flight again (a resend, or a PUBREL for one released).</summary>
    public void Send(Delivery delivery) => _outbound.Enqueue(delivery.Released
        ? OutboundPacket.Ack(PacketType.PubRel, delivery.PacketId)
        : OutboundPacket.Publish(delivery));

    /// <summary>
    /// Queues a new QoS 1/2 delivery unless the outbound queue is over its bound: then it stays in the session,
    /// which <see cref="ResumeDeliveries"/> pumps again once the queue is back under the bound; likewise before the
    /// CONNACK, after which <see cref="Session.Attach"/> pumps.
    /// </summary>
    public bool TrySendWithinBound(Delivery delivery) => _connected && _outbound.TryEnqueueWithinBound(OutboundPacket.Publish(delivery));

    /// <summary>The outbound queue is back under its bound: the session puts its waiting messages in flight.</summary>
    public void ResumeDeliveries() => _session?.ResumeDeliveries(this);

    /// <summary>
    /// Another connection took this Client Identifier [MQTT-3.1.4-3]; with Clean Start it also ended the session.
    /// <paramref name="sessionExpiry"/> is the session's expiry as this connection left it (the new one may have changed it).
    /// Called under <see cref="MqttBroker.SessionsGate"/>. Returns whether the broker is to close this connection now
    /// (one that has claimed the session but not yet queued its CONNACK closes itself right after it, CompleteConnect),
    /// and the Will to publish at once, if any.
    /// </summary>
    public (bool CloseNow, ApplicationMessage? Will) MarkTakenOver(Session session, bool sessionEnded, uint sessionExpiry)
    {
        _takenOver = true;
        _closing = true;
        _sessionEnded = sessionEnded;
        _takenOverBeforeConnAck = !_connected;
        // Decided now, not once this connection has closed (a second or more later, after its lingering close): the
        // connection taking over speaks after its CONNACK, and a Will coming later would overwrite what it said (a
        // retained "online" status, for one).
        return (_connected, DecideWill(session, sessionExpiry));
    }

    /// <summary>
    /// Closes the connection, sending DISCONNECT with <paramref name="reason"/> first to an MQTT 5 client, and with
    /// <paramref name="reasonString"/> when the client's Maximum Packet Size leaves room for it [MQTT-3.14.2-3].
    /// </summary>
    public Task CloseAsync(ReasonCode reason, string? reasonString = null) => CloseAsync(reason, reasonString, onReadLoop: false);

    /// <summary><see cref="CloseAsync(ReasonCode, string?)"/> from the connection's own read loop (a handler).</summary>
    private Task CloseFromReadLoopAsync(ReasonCode reason, string? reasonString = null) => CloseAsync(reason, reasonString, onReadLoop: true);

    private async Task CloseAsync(ReasonCode reason, string? reasonString, bool onReadLoop)
    {
        _closing = true;
        // The connection has ended for its session and Will from here on, though its socket may linger for the client
        // to read why: they are settled before it can see the DISCONNECT or the close and come back (it resumed a
        // session of expiry 0 otherwise). Unless a handler runs on another thread: the read loop settles them after it.
        // Never under a session's gate (settling takes the broker's locks).
        Interlocked.MemoryBarrier();
        CancelAuthentication(); // a login still waiting (for the credential file, a throttle delay) is for nothing now
        if (onReadLoop || Volatile.Read(ref _handling) == 0)
        {
            SettleSession();
        }
        if (_connected && Version == ProtocolVersion.V500)
        {
            var explained = new MqttProperties { ReasonString = reasonString is null ? null : MqttUtf8.Encode(reasonString) };
            var disconnect = new DisconnectPacket { ReasonCode = reason, Properties = explained };
            if (disconnect.GetSize(Version) > ClientMaximumPacketSize)
            {
                disconnect = new DisconnectPacket { ReasonCode = reason };
            }
            // The writer sends nothing after a DISCONNECT [MQTT-3.14.4-1].
            _lingering = true;
            Enqueue(OutboundPacket.Disconnect(Encode(disconnect)));
        }
        await FlushAndCloseAsync();
    }

    /// <summary>Called every 250 ms: Keep Alive x1.5 [MQTT-3.1.2-22] and the CONNECT timeout.</summary>
    public void CheckTimeouts(long now)
    {
        if (!_connected)
        {
            if (now - _openedAt <= Options.ConnectTimeout.TotalMilliseconds)
            {
                return;
            }
            // The first tick past the timeout answers the CONNECT, unless its outcome already did: an authentication
            // exchange left unfinished is refused with 0x87 (docs/security.md); otherwise the connection is just closed.
            if (ClaimConnectAnswer())
            {
                CancelAuthentication();
                if (_exchange is not null)
                {
                    AuditUnfinishedExchange("not finished within the CONNECT timeout");
                    _ = RefuseConnectAsync(ReasonCode.NotAuthorized);
                }
                else
                {
                    _closing = true;
                    _transport.Abort();
                }
            }
            else if (now - _openedAt > 2 * Options.ConnectTimeout.TotalMilliseconds)
            {
                // The refusal gets one more timeout to go out and close (the next tick aborted it on a loaded
                // machine, before its CONNACK was written); a client that never reads it is cut off after that.
                _closing = true;
                _transport.Abort();
            }
            return;
        }
        // Not while held back for a full subscriber (WaitForSubscribersAsync): its silence is the broker's doing. Nor while
        // its input is paused for output it has yet to take (a retained burst, a flood to a slow reader): its PINGREQs wait
        // unread, so a flush it let complete, or more bytes waiting unread, is its sign of life. The second is needed: a
        // client reading steadily but slowly may hold a flush up for seconds, as the kernel's buffers on the way refill
        // in large steps. It counts only while some flush completed within four times the timeout, so a client whose
        // library pings from a timer while its application takes nothing is dropped then. One silent and taking nothing
        // for 1.5 x Keep Alive is dropped as before.
        // The flags first: the read loop writes _lastReceived before it clears them.
        bool paused = _inputPaused;
        bool heldBack = _heldBack;
        long heard = Volatile.Read(ref _lastReceived);
        if (paused)
        {
            int unread = _transport.UnreadBytes;
            if (unread > _unreadWhilePaused)
            {
                _unreadWhilePaused = unread;
                _unreadGrewAt = now;
            }
            long flushed = _outbound.LastFlushed;
            heard = Math.Max(heard, now - flushed <= _keepAlive * 6000L ? Math.Max(flushed, _unreadGrewAt) : flushed);
        }
        if (_keepAlive > 0 && !_lingering && !heldBack && now - heard > _keepAlive * 1500L)
        {
            _ = CloseAsync(ReasonCode.KeepAliveTimeout);
        }
    }

    /// <summary>
    /// Handles every whole packet in <paramref name="buffer"/> and advances <paramref name="input"/> past them (what is
    /// left, a partial packet, counts as examined: the next read waits for more bytes); false when the connection is to close.
    /// </summary>
    private async ValueTask<bool> HandleReceivedAsync(PipeReader input, ReadOnlySequence<byte> buffer)
    {
        long consumed = 0;
        if (_turnStarted == 0)
        {
            _turnStarted = Environment.TickCount64;
        }
        // What the batch queues for idle connections (deliveries, acknowledgements) is sent at its end, on this thread.
        OutboundQueue.DeferDrains();
        try
        {
            while (true)
            {
                int maximumSize = _connected || _connectingReservation > 0 ? Options.MaximumPacketSize
                    : Math.Min(Options.MaximumPacketSize, UnreservedConnectingPacketSize);
                DecodeStatus status = MqttFrameReader.TryRead(buffer.Slice(consumed), maximumSize, out MqttFrame frame, out DecodeError error);
                if (status == DecodeStatus.Invalid && error.ReasonCode == ReasonCode.PacketTooLarge && maximumSize < Options.MaximumPacketSize
                    && TryReserveForConnecting(buffer.Slice(consumed), ref error))
                {
                    continue; // read again, allowed the packet's size
                }
                if (status == DecodeStatus.NeedMoreData)
                {
                    input.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
                    return true;
                }
                if (status == DecodeStatus.Invalid)
                {
                    OutboundQueue.RunDeferredDrains();
                    await (_connect is null ? RefuseFirstFrameAsync(buffer.Slice(consumed), error) : FailAsync(error));
                    return false;
                }
                if (_closing)
                {
                    // Closed from elsewhere (a takeover, a revocation) while this batch was read: the rest is dropped.
                    // Not only for MQTT 5 (lingering): a 3.1.1 connection taken over still has its output to flush.
                    return false;
                }
                Volatile.Write(ref _lastReceived, Environment.TickCount64);
                ValueTask<bool> handling = HandleAsync(frame);
                bool suspends = !handling.IsCompleted;
                if (suspends)
                {
                    // The rest may run on another thread: send what was deferred on this one first.
                    OutboundQueue.RunDeferredDrains();
                }
                if (!await handling)
                {
                    return false;
                }
                if (suspends)
                {
                    // It waited (an authorizer, a publisher hold) instead of holding a thread: a new turn starts.
                    OutboundQueue.DeferDrains();
                    _turnStarted = Environment.TickCount64;
                }
                consumed += frame.Length;
                ReleaseConnectingReservation();
                if (Environment.TickCount64 - _turnStarted >= InputTurn)
                {
                    await LetOthersRunAsync();
                }
            }
        }
        finally
        {
            OutboundQueue.RunDeferredDrains();
        }
    }

    /// <summary>
    /// A CONNECT or AUTH over <see cref="UnreservedConnectingPacketSize"/> before CONNACK: true once its size is reserved;
    /// false with 0x89 in <paramref name="error"/> when the broker holds its share of such packets already, or with the
    /// 0x95 as it was for any other packet and one over the Maximum Packet Size anyway.
    /// </summary>
    private bool TryReserveForConnecting(in ReadOnlySequence<byte> input, ref DecodeError error)
    {
        var reader = new SequenceReader<byte>(input);
        reader.TryRead(out byte first);
        // Only the packets a client not yet accepted may send: a CONNECT first, then AUTH; anything else is refused as it is.
        if ((PacketType)(first >> 4) != (_connect is null ? PacketType.Connect : PacketType.Auth)
            || VariableByteInteger.TryRead(ref reader, out int remainingLength) != DecodeStatus.Complete
            || reader.Consumed + remainingLength > Options.MaximumPacketSize)
        {
            return false;
        }
        long size = reader.Consumed + remainingLength;
        if (!_broker.Connecting.TryReserve(size))
        {
            _broker.ConnectingBytesFull(Client, size);
            error = new DecodeError(ReasonCode.ServerBusy, 0, "too many bytes of large packets are held for clients not yet accepted");
            return false;
        }
        _connectingReservation = size;
        return true;
    }

    /// <summary>Gives back the share a large CONNECT or AUTH had, once it is handled or the connection ends.</summary>
    private void ReleaseConnectingReservation()
    {
        if (_connectingReservation > 0)
        {
            _broker.Connecting.Release(_connectingReservation);
            _connectingReservation = 0;
        }
    }

    /// <summary>
    /// Ends this connection's turn: with inline socket completions a read loop runs on the socket engine thread that
    /// serves many connections (and the accept loop), and a client whose input keeps coming and costs much to handle
    /// would hold that thread for as long as it sends. The rest of its input goes on from the thread pool's queue.
    /// </summary>
    private async ValueTask LetOthersRunAsync()
    {
        OutboundQueue.RunDeferredDrains();
        _broker.Statistics.InputYielded();
        await Task.Yield();
        OutboundQueue.DeferDrains();
        _turnStarted = Environment.TickCount64;
    }

    private ValueTask<bool> HandleAsync(in MqttFrame frame)
    {
        if (!_connected)
        {
            return HandleBeforeConnackAsync(frame);
        }
        switch (frame.Type)
        {
            case PacketType.Publish:
                return HandlePublishAsync(frame);
            case PacketType.PubAck:
                return new(HandlePubAck(frame));
            case PacketType.PubRec:
                return new(HandlePubRec(frame));
            case PacketType.PubRel:
                return new(HandlePubRel(frame));
            case PacketType.PubComp:
                return new(HandlePubComp(frame));
            case PacketType.Subscribe:
                return HandleSubscribeAsync(frame);
            case PacketType.Unsubscribe:
                return new(HandleUnsubscribe(frame));
            case PacketType.PingReq:
                return new(Check(PingReqPacket.TryRead(frame, out _, out DecodeError error), error) && Enqueue(OutboundPacket.Ack(PacketType.PingResp, 0)));
            case PacketType.Disconnect:
                return new(HandleDisconnect(frame));
            case PacketType.Auth:
                return HandleReauthenticationAsync(frame);
            case PacketType.Connect:
                return Refuse(ReasonCode.ProtocolError, "[MQTT-3.1.0-2] second CONNECT");
            default:
                return Refuse(ReasonCode.ProtocolError, "a client may not send this packet type");
        }
    }

    /// <summary>A decode failure closes the connection, with DISCONNECT and the reason code on MQTT 5 [MQTT-4.13.1-1].</summary>
    private bool Check(bool decoded, in DecodeError error)
    {
        if (!decoded)
        {
            _ = FailAsync(error);
        }
        return decoded;
    }

    private async Task FailAsync(DecodeError error)
    {
        Logger.LogInformation("closing {Remote} ({Client}): {Error}", Client.RemoteEndPoint, AuthAudit.Safe(Client.ClientId), error.ToString());
        if (!_connected)
        {
            await RefuseConnectAsync(error.ReasonCode);
            return;
        }
        // The codec's text names the rule broken (e.g. "[MQTT-3.3.2-2] Topic Name holds a wildcard"): a client's
        // developer sees why without our log. A DISCONNECT may carry it whatever Request Problem Information says.
        await CloseFromReadLoopAsync(error.ReasonCode, error.Message);
    }

    private ValueTask<bool> Refuse(ReasonCode reason, string why)
    {
        _ = FailAsync(new DecodeError(reason, 0, why));
        return new(false);
    }

    /// <summary>Queues a packet for the client; true, so that handlers can return it as "keep reading".</summary>
    private bool Enqueue(in OutboundPacket packet)
    {
        _outbound.Enqueue(packet);
        return true;
    }

    /// <summary>Whether the client's Maximum Packet Size takes <paramref name="packet"/> [MQTT-3.1.2-24].</summary>
    private bool FitsClient<T>(in T packet)
        where T : struct, IMqttPacket => packet.GetSize(Version) <= ClientMaximumPacketSize;

    /// <summary>Queues a rare packet (CONNACK, SUBACK, AUTH ...) encoded now, at this connection's version.</summary>
    private bool EnqueueEncoded<T>(in T packet)
        where T : struct, IMqttPacket => Enqueue(OutboundPacket.Encoded(Encode(packet)));

    private byte[] Encode<T>(in T packet)
        where T : struct, IMqttPacket
    {
        var bytes = new ArrayBufferWriter<byte>(packet.GetSize(Version));
        packet.Write(bytes, Version);
        return bytes.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Encodes one queued packet; called by the <see cref="OutboundQueue"/> drain only, one packet at a time, so the
    /// Topic Alias state towards the client needs no lock.
    /// </summary>
    public void Write(IBufferWriter<byte> output, in OutboundPacket packet)
    {
        switch (packet.Type)
        {
            case PacketType.Reserved or PacketType.Disconnect:
                output.Write((byte[])packet.Item!);
                break;
            case PacketType.Publish:
                WritePublish(output, (Delivery)packet.Item!);
                break;
            case PacketType.PubAck:
                new PubAckPacket { PacketId = packet.PacketId, ReasonCode = packet.ReasonCode }.Write(output, Version);
                break;
            case PacketType.PubRec:
                new PubRecPacket { PacketId = packet.PacketId, ReasonCode = packet.ReasonCode }.Write(output, Version);
                break;
            case PacketType.PubRel:
                new PubRelPacket { PacketId = packet.PacketId, ReasonCode = packet.ReasonCode }.Write(output, Version);
                break;
            case PacketType.PubComp:
                new PubCompPacket { PacketId = packet.PacketId, ReasonCode = packet.ReasonCode }.Write(output, Version);
                break;
            case PacketType.PingResp:
                default(PingRespPacket).Write(output);
                break;
        }
    }

    private void WritePublish(IBufferWriter<byte> output, Delivery delivery)
    {
        ApplicationMessage message = delivery.Message;
        if (delivery.QoS == QualityOfService.AtMostOnce)
        {
            Interlocked.Decrement(ref _pendingQoS0);
        }
        long now = Environment.TickCount64;
        MqttProperties properties = message.Packet.Properties;
        ushort alias = OutboundAlias(message.Topic, out bool aliasKnown);
        properties.TopicAlias = alias == 0 ? null : alias;
        properties.SubscriptionIdentifiers = delivery.SubscriptionIdentifiers;
        properties.MessageExpiryInterval = message.RemainingExpiry(now);
        var packet = new PublishPacket
        {
            Topic = aliasKnown ? default : message.TopicBytes,
            Payload = message.Packet.Payload,
            QoS = delivery.QoS,
            Retain = delivery.Retain,
            Duplicate = delivery.Sent && delivery.QoS != QualityOfService.AtMostOnce,
            PacketId = delivery.PacketId,
            Properties = properties,
        };
        int size = packet.GetSize(Version);
        if (size > ClientMaximumPacketSize && alias != 0)
        {
            // The alias is ours to offer: a message that fits this client by name goes by name [MQTT-3.1.2-24].
            properties.TopicAlias = null;
            packet = packet with { Topic = message.TopicBytes, Properties = properties };
            alias = 0;
            size = packet.GetSize(Version);
        }
        // [MQTT-3.3.2-5] [MQTT-4.3.3-7] expiry applies only until onward delivery has started: a resend is never dropped.
        if (size > ClientMaximumPacketSize || (!delivery.Sent && message.IsExpired(now)))
        {
            // [MQTT-3.1.2-25] too large for this client: dropped as if delivered.
            _broker.Statistics.MessageDropped();
            if (delivery.QoS != QualityOfService.AtMostOnce)
            {
                _session?.Complete(delivery.PacketId);
            }
            return;
        }
        if (alias != 0 && !aliasKnown)
        {
            // Only once the name went out with it does the client know the alias.
            KeepOutboundAlias(message.Topic, alias);
        }
        packet.Write(output, Version);
        delivery.Sent = true;
        _broker.Statistics.MessageSent(size);
    }

    /// <summary>The outbound queue's drain failed other than by the peer going away (a bug): logged, then the connection closes.</summary>
    public void WriteFailed(Exception e) => Logger.LogError(e, "writing to {Client} failed", AuthAudit.Safe(Client.ClientId));

    /// <summary>
    /// Lets the queue send what it has (DISCONNECT or CONNACK last), at most 1 s, then ends the connection: at once, or
    /// after a final packet by a lingering close.
    /// </summary>
    private async Task FlushAndCloseAsync()
    {
        if (await FlushAsync() && _lingering)
        {
            _transport.ShutdownSend();
            _ = AbortAfterLingerAsync();
            return;
        }
        _transport.Abort();
    }

    /// <summary>
    /// A lingering close: the client gets FIN after our last packet while the read loop reads and drops what it still
    /// sends, until it closes too or <see cref="BrokerOptions.Linger"/> (1 s) passes. Closing at once with its bytes unread
    /// would have the kernel answer them with RST, and a client still sending (one past our Receive Maximum, say) then
    /// fails on a reset instead of reading the DISCONNECT that says why. One that has not closed by then gets the reset.
    /// </summary>
    private async Task AbortAfterLingerAsync()
    {
        await Task.Delay(Options.Linger);
        _transport.Reset();
    }

    /// <summary>Lets the queue send what it has, at most 1 s; true when it did.</summary>
    private async Task<bool> FlushAsync()
    {
        Task flushed = _outbound.CompleteAsync();
        if (await Task.WhenAny(flushed, Task.Delay(1000)) != flushed)
        {
            return false;
        }
        await _transport.CloseWebSocketAsync(TimeSpan.FromSeconds(1));
        return true;
    }

    private async Task ShutdownAsync()
    {
        await FlushAsync();
        _transport.Abort();
        // Only the input: the outbound drain may still be flushing, and completes the output itself if it fails.
        await _transport.Input.CompleteAsync();
        await _transport.DisposeAsync();
        SettleSession();
        ReleaseConnectingReservation();
        (_exchange as IDisposable)?.Dispose(); // one the client abandoned may hold a key (a sealed registration's)
        _broker.ConnectionEnded(this);
    }
}
