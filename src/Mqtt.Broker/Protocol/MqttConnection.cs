using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Mqtt.Codec;

namespace Mqtt.Broker;

/// <summary>
/// The server side of one MQTT connection: a read loop that decodes packets straight from the pipe and acts on
/// them, and one writer loop that encodes queued packets and flushes once per batch (Kestrel's Http2FrameWriter way).
/// </summary>
internal sealed partial class MqttConnection
{
    private const int FlushThreshold = 64 * 1024;

    private readonly MqttBroker _broker;
    private readonly TransportConnection _transport;
    private readonly Channel<OutboundPacket> _outbound = Channel.CreateUnbounded<OutboundPacket>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
    private readonly long _openedAt = Environment.TickCount64;
    private int _pendingQoS0;
    private long _lastReceived = Environment.TickCount64;
    private Task _writer = Task.CompletedTask;
    private int _connectTimedOut;

    public MqttConnection(MqttBroker broker, TransportConnection transport)
    {
        _broker = broker;
        _transport = transport;
        Client = new ClientInfo("", null, transport.RemoteEndPoint, transport.IsTls);
    }

    public ProtocolVersion Version { get; private set; } = ProtocolVersion.V500;

    public ClientInfo Client { get; private set; }

    /// <summary>The client's Receive Maximum: our flight window towards it [MQTT-3.3.4-9].</summary>
    public int ClientReceiveMaximum { get; private set; } = ushort.MaxValue;

    /// <summary>Largest packet the client accepts [MQTT-3.1.2-24].</summary>
    public long ClientMaximumPacketSize { get; private set; } = VariableByteInteger.MaxValue + 5L;

    private BrokerOptions Options => _broker.Options;

    private ILogger Logger => _broker.Logger;

    /// <summary>Runs the connection until it closes.</summary>
    public async Task RunAsync()
    {
        _writer = WriteLoopAsync();
        try
        {
            await ReadLoopAsync();
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            Logger.LogDebug("connection {Client} ended: {Error}", Client.ClientId, e.Message);
        }
        catch (Exception e)
        {
            Logger.LogError(e, "connection {Client} failed", Client.ClientId);
        }
        finally
        {
            await ShutdownAsync();
        }
    }

    /// <summary>Queues a QoS 0 delivery unless the client is already too far behind (then it is dropped).</summary>
    public bool TrySendQoS0(Delivery delivery)
    {
        if (Volatile.Read(ref _pendingQoS0) >= Options.MaximumPendingQoS0)
        {
            return false;
        }
        Interlocked.Increment(ref _pendingQoS0);
        return _outbound.Writer.TryWrite(OutboundPacket.Publish(delivery));
    }

    /// <summary>Queues a QoS 1/2 delivery that the session has put in flight (or a PUBREL for one released).</summary>
    public void Send(Delivery delivery) => _outbound.Writer.TryWrite(delivery.Released
        ? OutboundPacket.Ack(PacketType.PubRel, delivery.PacketId)
        : OutboundPacket.Publish(delivery));

    /// <summary>Another connection took this Client Identifier [MQTT-3.1.4-3]; with Clean Start it also ended the session.</summary>
    public void TakenOver(bool sessionEnded)
    {
        _takenOver = true;
        _sessionEnded = sessionEnded;
        _ = CloseAsync(ReasonCode.SessionTakenOver);
    }

    /// <summary>Closes the connection, sending DISCONNECT with <paramref name="reason"/> first to an MQTT 5 client.</summary>
    public async Task CloseAsync(ReasonCode reason)
    {
        if (_connected && Version == ProtocolVersion.V500)
        {
            // The writer sends nothing after a DISCONNECT [MQTT-3.14.4-1].
            Enqueue(OutboundPacket.Disconnect(Encode(new DisconnectPacket { ReasonCode = reason })));
        }
        _outbound.Writer.TryComplete();
        await Task.WhenAny(_writer, Task.Delay(1000));
        _transport.Abort();
    }

    /// <summary>Called once a second: Keep Alive x1.5 [MQTT-3.1.2-22] and the CONNECT timeout.</summary>
    public void CheckTimeouts(long now)
    {
        if (!_connected)
        {
            if (now - _openedAt > Options.ConnectTimeout.TotalMilliseconds)
            {
                // An authentication exchange left unfinished is refused with 0x87 (docs/security.md); otherwise just close.
                if (_exchange is not null && Interlocked.Exchange(ref _connectTimedOut, 1) == 0)
                {
                    _ = RefuseConnectAsync(ReasonCode.NotAuthorized);
                }
                else
                {
                    _transport.Abort();
                }
            }
            return;
        }
        if (_keepAlive > 0 && now - Volatile.Read(ref _lastReceived) > _keepAlive * 1500L)
        {
            _ = CloseAsync(ReasonCode.KeepAliveTimeout);
        }
    }

    private async Task ReadLoopAsync()
    {
        PipeReader input = _transport.Input;
        while (true)
        {
            ReadResult result = await input.ReadAsync(_broker.Stopping);
            ReadOnlySequence<byte> buffer = result.Buffer;
            bool keepGoing = true;
            while (keepGoing)
            {
                DecodeStatus status = MqttFrameReader.TryRead(buffer, Options.MaximumPacketSize, out MqttFrame frame, out DecodeError error);
                if (status == DecodeStatus.NeedMoreData)
                {
                    break;
                }
                if (status == DecodeStatus.Invalid)
                {
                    await FailAsync(error);
                    return;
                }
                Volatile.Write(ref _lastReceived, Environment.TickCount64);
                keepGoing = await HandleAsync(frame);
                buffer = buffer.Slice(frame.Length);
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (!keepGoing || result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
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
        Logger.LogInformation("closing {Remote} ({Client}): {Error}", Client.RemoteEndPoint, Client.ClientId, error.ToString());
        if (!_connected)
        {
            await RefuseConnectAsync(error.ReasonCode);
            return;
        }
        await CloseAsync(error.ReasonCode);
    }

    private ValueTask<bool> Refuse(ReasonCode reason, string why)
    {
        _ = FailAsync(new DecodeError(reason, 0, why));
        return new(false);
    }

    private bool Enqueue(OutboundPacket packet)
    {
        _outbound.Writer.TryWrite(packet);
        return true;
    }

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

    private async Task WriteLoopAsync()
    {
        ChannelReader<OutboundPacket> reader = _outbound.Reader;
        PipeWriter output = _transport.Output;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out OutboundPacket packet))
                {
                    Write(output, packet);
                    if (packet.Type == PacketType.Disconnect)
                    {
                        // Deliveries may still be queued behind it (the session had not moved yet): none may follow.
                        await output.FlushAsync();
                        return;
                    }
                    if (output.UnflushedBytes > FlushThreshold)
                    {
                        await output.FlushAsync();
                    }
                }
                FlushResult flushed = await output.FlushAsync();
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            _transport.Abort();
        }
    }

    private void Write(PipeWriter output, in OutboundPacket packet)
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

    private void WritePublish(PipeWriter output, Delivery delivery)
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

    private async Task ShutdownAsync()
    {
        _outbound.Writer.TryComplete();
        await Task.WhenAny(_writer, Task.Delay(1000));
        _transport.Abort();
        await _transport.DisposeAsync();
        OnClosed();
    }
}
