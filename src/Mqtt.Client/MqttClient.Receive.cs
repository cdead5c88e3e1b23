using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Mqtt.Codec;

namespace Mqtt.Client;

public sealed partial class MqttClient
{
    /// <summary>
    /// Incoming messages in arrival order, across reconnections. With automatic acknowledgement a QoS 1 or 2 message
    /// is acknowledged as it is handed out. Ends after <see cref="DisconnectAsync"/>; throws the reason when the
    /// connection is lost for good. Not for use together with <see cref="MessageReceived"/>.
    /// </summary>
    public async IAsyncEnumerable<MqttApplicationMessage> ReadMessagesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChannelReader<MqttApplicationMessage> reader = _messages.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out MqttApplicationMessage? message))
            {
                if (_options.AutomaticAcknowledgement)
                {
                    await TryAcknowledgeAsync(message).ConfigureAwait(false);
                }
                yield return message;
            }
        }
    }

    /// <summary>
    /// Acknowledges a QoS 1 or 2 message when <see cref="MqttClientOptions.AutomaticAcknowledgement"/> is off:
    /// PUBACK, or PUBREC (PUBCOMP then follows the server's PUBREL by itself). Acknowledging twice does nothing; an
    /// acknowledgement for a message of an earlier connection is dropped, since the server re-sends that message.
    /// Cancelled before the PUBACK or PUBREC was written, it leaves the message unacknowledged: call it again.
    /// </summary>
    public async ValueTask AcknowledgeAsync(MqttApplicationMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.QoS == QualityOfService.AtMostOnce || Interlocked.Exchange(ref message.Acknowledged, 1) == 1)
        {
            return;
        }
        // The connection is read under the lock, with the state it goes with: a re-sent PUBLISH handled on a new
        // connection meanwhile must not have its PUBREC sent on the old one (and the receipt pinned until the next).
        MqttConnection? connection;
        if (message.QoS == QualityOfService.AtLeastOnce)
        {
            lock (_sync)
            {
                connection = _connection;
                if (connection is null || connection.Number != message.ConnectionNumber || !_incomingAtLeastOnce.Remove(message.PacketId))
                {
                    return;
                }
            }
            try
            {
                await connection.SendAsync(new PubAckPacket { PacketId = message.PacketId }, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Only the wait for the write path is cancellable, so nothing was written: still unacknowledged, the
                // message can be acknowledged again (it was marked first, so that two calls cannot both send).
                lock (_sync)
                {
                    if (_connection == connection)
                    {
                        _incomingAtLeastOnce.Add(message.PacketId);
                    }
                }
                Volatile.Write(ref message.Acknowledged, 0);
                throw;
            }
            return;
        }
        lock (_sync)
        {
            if (!_incomingExactlyOnce.TryGetValue(message.PacketId, out ExactlyOnceReceipt? held) || held != message.Receipt)
            {
                return;
            }
            held.Acknowledged = 1;
            connection = _connection;
            if (connection is null)
            {
                // The PUBREC goes out when the server re-sends the PUBLISH after reconnecting.
                return;
            }
        }
        try
        {
            await connection.SendAsync(new PubRecPacket { PacketId = message.PacketId }, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Not written, as above.
            Volatile.Write(ref message.Receipt!.Acknowledged, 0);
            Volatile.Write(ref message.Acknowledged, 0);
            throw;
        }
    }

    private async ValueTask TryAcknowledgeAsync(MqttApplicationMessage message)
    {
        try
        {
            await AcknowledgeAsync(message, CancellationToken.None).ConfigureAwait(false);
        }
        catch (MqttException e)
        {
            // The server re-sends an unacknowledged message on the next connection.
            _logger?.LogDebug("acknowledgement of packet {PacketId} not sent: {Message}", message.PacketId, e.Message);
        }
    }

    /// <summary>
    /// One dispatcher per message queue. A ConnectAsync after DisconnectAsync has a new queue: its dispatcher starts once
    /// the previous one has finished the handler it may still be running (before, that one kept running for the old
    /// queue, and nothing ever read the new one).
    /// </summary>
    private void StartDispatcher()
    {
        Func<MqttApplicationMessage, CancellationToken, Task>? handler = MessageReceived;
        ChannelReader<MqttApplicationMessage> reader = _messages.Reader;
        if (handler is null || (!_dispatcher.IsCompleted && _dispatched == reader))
        {
            return;
        }
        Task previous = _dispatcher;
        _dispatched = reader;
        _dispatcher = Task.Run(async () =>
        {
            await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _dispatching.Value = true;
            try
            {
                while (await reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    while (reader.TryRead(out MqttApplicationMessage? message))
                    {
                        await DispatchAsync(handler, message).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception) when (reader.Completion.IsCompleted)
            {
                // The queue ended with the connection's error: the Disconnected event reports it; the dispatcher just
                // stops (a faulted dispatcher went unobserved, or was thrown by DisposeAsync).
            }
        });
    }

    private async Task DispatchAsync(Func<MqttApplicationMessage, CancellationToken, Task> handler, MqttApplicationMessage message)
    {
        try
        {
            await handler(message, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger?.LogError(e, "the message handler failed on {Topic}; the message is acknowledged all the same", message.Topic);
        }
        if (_options.AutomaticAcknowledgement)
        {
            await TryAcknowledgeAsync(message).ConfigureAwait(false);
        }
    }

    ValueTask IFrameHandler.OnFrameAsync(MqttConnection connection, MqttFrame frame)
    {
        ProtocolVersion version = connection.Version;
        DecodeError error;
        switch (frame.Type)
        {
            case PacketType.Publish:
                return OnPublishAsync(connection, frame);
            case PacketType.PubAck:
                if (!PubAckPacket.TryRead(frame, version, out PubAckPacket pubAck, out error))
                {
                    // A refusal with a code PUBACK may not carry (Mosquitto's 0x95) is still the refusal it means.
                    Check(OffListRefusal.TryRead(frame, version, out ushort id, out ReasonCode code), error);
                    pubAck = new PubAckPacket { PacketId = id, ReasonCode = code };
                }
                TakeOutgoing(pubAck.PacketId, static p => p.QoS == QualityOfService.AtLeastOnce)?.Completion.TrySetResult(ToResult(pubAck.PacketId, pubAck.ReasonCode, pubAck.Properties));
                return default;
            case PacketType.PubRec:
                if (!PubRecPacket.TryRead(frame, version, out PubRecPacket pubRec, out error))
                {
                    Check(OffListRefusal.TryRead(frame, version, out ushort id, out ReasonCode code), error);
                    pubRec = new PubRecPacket { PacketId = id, ReasonCode = code };
                }
                return OnPubRecAsync(connection, pubRec);
            case PacketType.PubRel:
                Check(PubRelPacket.TryRead(frame, version, out PubRelPacket pubRel, out error), error);
                return OnPubRelAsync(connection, pubRel.PacketId);
            case PacketType.PubComp:
                Check(PubCompPacket.TryRead(frame, version, out PubCompPacket pubComp, out error), error);
                OnPubComp(pubComp);
                return default;
            case PacketType.SubAck:
                Check(SubAckPacket.TryRead(frame, version, out SubAckPacket subAck, out error), error);
                var subscribed = new MqttSubscribeResult
                {
                    ReasonCodes = WireText.ToReasonCodes(subAck.ReasonCodes),
                    ReasonString = WireText.ToStringOrNull(subAck.Properties.ReasonString),
                    UserProperties = WireText.ToList(subAck.Properties.UserProperties),
                };
                CompleteAck(subAck.PacketId, PacketType.SubAck, (int)subAck.ReasonCodes.Length, _ => subscribed);
                return default;
            case PacketType.UnsubAck:
                Check(UnsubAckPacket.TryRead(frame, version, out UnsubAckPacket unsubAck, out error), error);
                IReadOnlyList<ReasonCode>? codes = version == ProtocolVersion.V500 ? WireText.ToReasonCodes(unsubAck.ReasonCodes) : null;
                string? reasonString = WireText.ToStringOrNull(unsubAck.Properties.ReasonString);
                IReadOnlyList<MqttUserProperty> userProperties = WireText.ToList(unsubAck.Properties.UserProperties);
                CompleteAck(unsubAck.PacketId, PacketType.UnsubAck, codes?.Count, ack => new MqttUnsubscribeResult
                {
                    ReasonCodes = codes ?? new ReasonCode[ack.FilterCount],
                    ReasonString = reasonString,
                    UserProperties = userProperties,
                });
                return default;
            case PacketType.Disconnect:
                Check(DisconnectPacket.TryRead(frame, version, out DisconnectPacket disconnect, out error), error);
                string? why = WireText.ToStringOrNull(disconnect.Properties.ReasonString);
                throw new MqttConnectionLostException(
                    $"the server disconnected: {MqttReasonCodeText.Format(disconnect.ReasonCode)}" + (why is null ? "" : $" ({why})"), disconnect.ReasonCode);
            case PacketType.Auth when version == ProtocolVersion.V500:
                Check(AuthPacket.TryRead(frame, version, out AuthPacket auth, out error), error);
                return OnReauthenticationStepAsync(connection, auth.ReasonCode, WireText.ToStringOrNull(auth.Properties.AuthenticationMethod),
                    WireText.ToMemoryOrNull(auth.Properties.AuthenticationData));
            default:
                throw new MqttProtocolException(ReasonCode.ProtocolError, $"a server does not send {frame.Type} to a connected client");
        }
    }

    private async ValueTask OnPublishAsync(MqttConnection connection, MqttFrame frame)
    {
        Check(PublishPacket.TryRead(frame, connection.Version, out PublishPacket packet, out DecodeError error), error);
        string topic = connection.ResolveTopic(packet);
        ExactlyOnceReceipt? duplicateOf = null;
        lock (_sync)
        {
            if (packet.QoS == QualityOfService.ExactlyOnce && _incomingExactlyOnce.TryGetValue(packet.PacketId, out duplicateOf))
            {
                // [MQTT-4.3.3-10] Not delivered again until PUBREL; answered with PUBREC if it was acknowledged already.
            }
            else if (packet.QoS != QualityOfService.AtMostOnce)
            {
                bool known = packet.QoS == QualityOfService.AtLeastOnce && _incomingAtLeastOnce.Contains(packet.PacketId);
                // MQTT 3.1.1 has no Receive Maximum to announce, so there is none to enforce.
                if (!known && connection.Version == ProtocolVersion.V500 && _incomingAtLeastOnce.Count + _incomingExactlyOnce.Count >= _options.ReceiveMaximum)
                {
                    // [MQTT-3.3.4-7] [MQTT-3.3.4-8] The server may not exceed our Receive Maximum.
                    throw new MqttProtocolException(ReasonCode.ReceiveMaximumExceeded,
                        $"more than {_options.ReceiveMaximum} unacknowledged QoS 1 and 2 messages from the server");
                }
            }
        }
        if (duplicateOf is not null)
        {
            if (Volatile.Read(ref duplicateOf.Acknowledged) == 1)
            {
                await connection.SendAsync(new PubRecPacket { PacketId = packet.PacketId }, CancellationToken.None).ConfigureAwait(false);
            }
            return;
        }
        MqttApplicationMessage message = MessageProperties.ToMessage(packet, topic, connection.Number);
        ChannelWriter<MqttApplicationMessage> writer = _messages.Writer;
        if (packet.QoS == QualityOfService.AtMostOnce)
        {
            try
            {
                if (!writer.TryWrite(message))
                {
                    await connection.WaitForApplicationAsync(writer.WriteAsync(message, connection.Delivery)).ConfigureAwait(false);
                }
            }
            catch (ChannelClosedException)
            {
                // The client is stopping: nobody reads any more.
            }
            return;
        }
        if (packet.QoS == QualityOfService.ExactlyOnce)
        {
            message.Receipt = new ExactlyOnceReceipt();
        }
        await QueueAcknowledgedAsync(connection, writer, message).ConfigureAwait(false);
    }

    /// <summary>
    /// Queues a QoS 1 or 2 message and records it (QoS 1 id, QoS 2 receipt) in one step under the lock, only while its
    /// connection is current. A message that never reaches the application leaves no receipt behind, so the server's
    /// re-send is delivered, not taken as a duplicate (no PUBREC, the message lost, its Packet Identifier held); and
    /// one that a newer connection may have received again meanwhile is not queued twice.
    /// </summary>
    private async ValueTask QueueAcknowledgedAsync(MqttConnection connection, ChannelWriter<MqttApplicationMessage> writer, MqttApplicationMessage message)
    {
        while (true)
        {
            lock (_sync)
            {
                if (_connection != connection)
                {
                    return; // the connection ended: unacknowledged, the message is the server's to send again
                }
                // Under the lock, with the record: continuations of the queue's readers never run inline (the default).
                if (writer.TryWrite(message))
                {
                    if (message.Receipt is ExactlyOnceReceipt receipt)
                    {
                        _incomingExactlyOnce[message.PacketId] = receipt;
                    }
                    else
                    {
                        _incomingAtLeastOnce.Add(message.PacketId);
                    }
                    return;
                }
            }
            try
            {
                Task<bool> room = writer.WaitToWriteAsync(connection.Delivery).AsTask();
                await connection.WaitForApplicationAsync(new ValueTask(room)).ConfigureAwait(false);
                if (!room.IsCompletedSuccessfully || !room.Result)
                {
                    return; // the client is stopping: nobody reads any more
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return; // the queue ended with the connection's error: nobody reads any more
            }
        }
    }

    private async ValueTask OnPubRecAsync(MqttConnection connection, PubRecPacket pubRec)
    {
        OutgoingPublish? publish;
        lock (_sync)
        {
            publish = _pending.TryGetValue(pubRec.PacketId, out object? entry) ? entry as OutgoingPublish : null;
            if (publish is { QoS: QualityOfService.ExactlyOnce } && (byte)pubRec.ReasonCode < 0x80)
            {
                publish.Released = true;
            }
        }
        if (publish is null || publish.QoS != QualityOfService.ExactlyOnce)
        {
            // Unknown Packet Identifier: PUBREL 0x92 (section 3.6.2.1) lets the server free it.
            ReasonCode notFound = connection.Version == ProtocolVersion.V500 ? ReasonCode.PacketIdentifierNotFound : ReasonCode.Success;
            await connection.SendAsync(new PubRelPacket { PacketId = pubRec.PacketId, ReasonCode = notFound }, CancellationToken.None).ConfigureAwait(false);
            return;
        }
        if ((byte)pubRec.ReasonCode >= 0x80)
        {
            // A PUBREC of 0x80 or above ends the flow (section 4.3.3): no PUBREL.
            TakeOutgoing(pubRec.PacketId, static _ => true)?.Completion.TrySetResult(ToResult(pubRec.PacketId, pubRec.ReasonCode, pubRec.Properties));
            return;
        }
        await connection.SendAsync(new PubRelPacket { PacketId = pubRec.PacketId }, CancellationToken.None).ConfigureAwait(false);
    }

    private void OnPubComp(in PubCompPacket pubComp)
    {
        OutgoingPublish? publish = TakeOutgoing(pubComp.PacketId, static p => p.Released);
        if (publish is null)
        {
            return;
        }
        // 0x92 "is not an error during recovery" (section 3.7.2.1): to a PUBREL re-sent after a reconnection it means
        // the server completed the flow on the last connection (our PUBREL arrived, its PUBCOMP was lost), and the PUBREC
        // already said it had the message. To a first PUBREL it stays a failure: the server lost the session's state.
        bool recovered = pubComp.ReasonCode == ReasonCode.PacketIdentifierNotFound && publish.PubRelResent;
        publish.Completion.TrySetResult(recovered
            ? new MqttPublishResult { ReasonCode = ReasonCode.Success, PacketId = pubComp.PacketId }
            : ToResult(pubComp.PacketId, pubComp.ReasonCode, pubComp.Properties));
    }

    private async ValueTask OnPubRelAsync(MqttConnection connection, ushort packetId)
    {
        bool known;
        lock (_sync)
        {
            known = _incomingExactlyOnce.Remove(packetId);
        }
        ReasonCode code = known || connection.Version != ProtocolVersion.V500 ? ReasonCode.Success : ReasonCode.PacketIdentifierNotFound;
        await connection.SendAsync(new PubCompPacket { PacketId = packetId, ReasonCode = code }, CancellationToken.None).ConfigureAwait(false);
    }

    private static MqttPublishResult ToResult(ushort packetId, ReasonCode reasonCode, in MqttProperties properties) => new()
    {
        PacketId = packetId,
        ReasonCode = reasonCode,
        ReasonString = WireText.ToStringOrNull(properties.ReasonString),
        UserProperties = WireText.ToList(properties.UserProperties),
    };

    private static void Check(bool decoded, in DecodeError error)
    {
        if (!decoded)
        {
            throw new MqttProtocolException(error.ReasonCode, error.Message);
        }
    }
}
