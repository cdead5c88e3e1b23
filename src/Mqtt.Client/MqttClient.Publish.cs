using System.Text;
using Mqtt.Codec;

namespace Mqtt.Client;

public sealed partial class MqttClient
{
    /// <summary>
    /// Publishes a message. QoS 0 completes once written (allocating nothing in steady state); QoS 1 when the
    /// PUBACK arrives; QoS 2 when PUBCOMP ends the PUBLISH, PUBREC, PUBREL, PUBCOMP exchange. QoS 1 and 2 wait for a
    /// slot of the server's Receive Maximum. Cancelling stops the wait, not a message already sent: it stays in the
    /// session and is re-sent after a reconnection.
    /// </summary>
    public ValueTask<MqttPublishResult> PublishAsync(string topic, ReadOnlyMemory<byte> payload,
        QualityOfService qos = QualityOfService.AtMostOnce, bool retain = false, CancellationToken cancellationToken = default)
    {
        ValidateTopic(topic);
        if (qos != QualityOfService.AtMostOnce)
        {
            return new ValueTask<MqttPublishResult>(PublishAcknowledgedAsync(topic, payload, qos, retain, null, cancellationToken));
        }
        MqttConnection? connection = _connection;
        if (connection is null)
        {
            return ValueTask.FromException<MqttPublishResult>(new MqttConnectionLostException("the client is not connected"));
        }
        if (NotSupported(qos, retain) is MqttException unsupported)
        {
            return ValueTask.FromException<MqttPublishResult>(unsupported);
        }
        if (!connection.Resent.IsCompleted)
        {
            return PublishAfterResendsAsync(connection, topic, payload, retain, cancellationToken);
        }
        ValueTask sent = connection.SendPublishAsync(topic, payload, qos, retain, false, 0, null, cancellationToken);
        if (sent.IsCompletedSuccessfully)
        {
            sent.GetAwaiter().GetResult();
            return new ValueTask<MqttPublishResult>(MqttPublishResult.AtMostOnce);
        }
        return AwaitAtMostOnceAsync(sent);
    }

    /// <summary>Publishes a message with its MQTT 5 properties; see <see cref="PublishAsync(string, ReadOnlyMemory{byte}, QualityOfService, bool, CancellationToken)"/>.</summary>
    public async ValueTask<MqttPublishResult> PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ValidateTopic(message.Topic);
        if (message.ResponseTopic is not null)
        {
            // The responder publishes to it, so it is a Topic Name too; a server closes the connection over one [MQTT-3.3.2-14].
            ValidateTopic(message.ResponseTopic, "Response Topic");
        }
        if (message.QoS != QualityOfService.AtMostOnce)
        {
            return await PublishAcknowledgedAsync(message.Topic, message.Payload, message.QoS, message.Retain, message, cancellationToken).ConfigureAwait(false);
        }
        MqttConnection connection = RequireConnection();
        if (NotSupported(QualityOfService.AtMostOnce, message.Retain) is MqttException unsupported)
        {
            throw unsupported;
        }
        await connection.Resent.WaitAsync(cancellationToken).ConfigureAwait(false);
        await connection.SendPublishAsync(message.Topic, message.Payload, QualityOfService.AtMostOnce, message.Retain, false, 0, message, cancellationToken)
            .ConfigureAwait(false);
        return MqttPublishResult.AtMostOnce;
    }

    /// <summary>A QoS 0 message published right after a reconnection goes after the session's re-sends.</summary>
    private static async ValueTask<MqttPublishResult> PublishAfterResendsAsync(MqttConnection connection, string topic, ReadOnlyMemory<byte> payload,
        bool retain, CancellationToken cancellationToken)
    {
        await connection.Resent.WaitAsync(cancellationToken).ConfigureAwait(false);
        await connection.SendPublishAsync(topic, payload, QualityOfService.AtMostOnce, retain, false, 0, null, cancellationToken).ConfigureAwait(false);
        return MqttPublishResult.AtMostOnce;
    }

    private static async ValueTask<MqttPublishResult> AwaitAtMostOnceAsync(ValueTask sent)
    {
        await sent.ConfigureAwait(false);
        return MqttPublishResult.AtMostOnce;
    }

    private async Task<MqttPublishResult> PublishAcknowledgedAsync(string topic, ReadOnlyMemory<byte> payload, QualityOfService qos, bool retain,
        MqttApplicationMessage? message, CancellationToken cancellationToken)
    {
        CheckCanQueue();
        if (NotSupported(qos, retain) is MqttException unsupported)
        {
            throw unsupported;
        }
        OutgoingPublish? publish = null;
        MqttConnection? connection = null;
        // Set while this publication holds the quota's turn (it waited for its slot): the next waiting one goes once
        // this PUBLISH is in the write path, so that waiting publications go out in call order.
        bool holdsTurn = false;
        try
        {
            SendSlot slot = await _quota.TakeAsync(cancellationToken).ConfigureAwait(false);
            while (true)
            {
                holdsTurn = slot.HoldsTurn;
                try
                {
                    lock (_sync)
                    {
                        CheckCanQueue();
                        if (_quota.IsCurrent(slot.Generation))
                        {
                            publish = new OutgoingPublish(0, topic, payload.ToArray(), qos, retain, message) { Sequence = ++_publishSequence };
                            publish = publish.WithPacketId(AllocatePacketIdLocked(publish));
                            connection = _connection;
                            // Sent now on this connection, or by ActivateAsync on the next one: never both.
                            publish.Sent = connection is not null;
                        }
                    }
                }
                catch
                {
                    _quota.Release(slot.Generation);
                    throw;
                }
                if (publish is not null)
                {
                    break;
                }
                // A CONNACK between the grant and here reset the count without this slot: take one again, after the new
                // connection's re-sends [MQTT-3.3.4-7] but ahead of the publications that waited behind this one (at
                // the back of the queue, a later one went first). TakeAgainAsync ends the turn.
                holdsTurn = false;
                slot = await _quota.TakeAgainAsync(slot, cancellationToken).ConfigureAwait(false);
            }
            if (connection is not null)
            {
                try
                {
                    // After the session's re-sends on a connection just made [MQTT-4.6.0-1].
                    await connection.Resent.WaitAsync(cancellationToken).ConfigureAwait(false);
                    // The write path's lock serves writers in the order they ask, so the order is fixed once this returns.
                    ValueTask sending = connection.SendPublishAsync(topic, publish.Payload, qos, retain, false, publish.PacketId, message, cancellationToken);
                    if (holdsTurn)
                    {
                        holdsTurn = false;
                        _quota.EndTurn();
                    }
                    await sending.ConfigureAwait(false);
                }
                catch (MqttConnectionLostException) when (WillResend())
                {
                    // Re-sent after the reconnection.
                }
                catch
                {
                    // Anything else (cancelled, too large for the server) is this publication's failure: it gives its slot
                    // and Packet Identifier back, or they would be held for good.
                    Forget(publish);
                    throw;
                }
            }
        }
        finally
        {
            if (holdsTurn)
            {
                _quota.EndTurn();
            }
        }
        return await publish.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True while a lost connection is being re-established (a PUBLISH queued now is sent afterwards).</summary>
    private bool WillResend()
    {
        lock (_sync)
        {
            return _reconnectCancellation is not null || (_options.AutomaticReconnect && !_disconnectRequested && !_disposed);
        }
    }

    private void CheckCanQueue()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // After DisconnectAsync nothing will send it: a queued publication would wait forever.
        if (_disconnectRequested || (_connection is null && _reconnectCancellation is null))
        {
            throw new MqttConnectionLostException("the client is not connected");
        }
    }

    private void Forget(OutgoingPublish publish)
    {
        bool removed;
        lock (_sync)
        {
            removed = _pending.TryGetValue(publish.PacketId, out object? entry) && entry == publish && _pending.Remove(publish.PacketId);
        }
        if (removed)
        {
            _quota.Release();
        }
    }

    /// <summary>Completes an outgoing flow: frees the Packet Identifier and the Receive Maximum slot.</summary>
    private OutgoingPublish? TakeOutgoing(ushort packetId, Func<OutgoingPublish, bool> matches)
    {
        OutgoingPublish? publish;
        lock (_sync)
        {
            publish = _pending.TryGetValue(packetId, out object? entry) ? entry as OutgoingPublish : null;
            if (publish is null || !matches(publish))
            {
                return null;
            }
            _pending.Remove(packetId);
        }
        _quota.Release();
        return publish;
    }

    /// <summary>
    /// Why the current server does not take a message of this QoS or retain flag, or null: never above its Maximum QoS
    /// [MQTT-3.2.2-11], never retained where it has no retained messages [MQTT-3.2.2-14].
    /// </summary>
    private MqttException? NotSupported(QualityOfService qos, bool retain) => Volatile.Read(ref _connectResult) switch
    {
        { } limits when qos > limits.MaximumQoS => new MqttException($"the server supports QoS {(int)limits.MaximumQoS} at most", ReasonCode.QoSNotSupported),
        { RetainAvailable: false } when retain => new MqttException("the server does not support retained messages", ReasonCode.RetainNotSupported),
        _ => null,
    };

    /// <summary>
    /// A Topic Name is not empty, holds no wildcard and no U+0000 [MQTT-4.7.3-1] [MQTT-3.3.2-2] [MQTT-1.5.4-2], and fits
    /// a UTF-8 string's 65,535 bytes (1.5.4).
    /// </summary>
    private static void ValidateTopic(string topic, string field = "Topic Name")
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (topic.Length == 0 || topic.AsSpan().IndexOfAny('+', '#', '\0') >= 0)
        {
            throw new ArgumentException($"'{topic}' is not a valid {field}: it must be non-empty and hold no '+', '#' or U+0000", nameof(topic));
        }
        if (topic.Length > ushort.MaxValue / 3 && Encoding.UTF8.GetByteCount(topic) > ushort.MaxValue)
        {
            throw new ArgumentException($"the {field} is longer than 65,535 bytes in UTF-8", nameof(topic));
        }
    }
}
