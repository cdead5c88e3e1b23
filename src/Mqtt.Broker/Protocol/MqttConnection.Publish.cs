using Mqtt.Codec;

namespace Mqtt.Broker;

internal sealed partial class MqttConnection
{
    private string?[]? _topicAliases;
    private Dictionary<string, ushort>? _outboundAliases;
    private List<Session>? _fullSessions;
    private long _holdsResumeAt;

    /// <summary>The client's Topic Alias Maximum: how many aliases we may use towards it (3.3.2.3.4).</summary>
    public ushort ClientTopicAliasMaximum { get; private set; }

    /// <summary>PUBLISH from the client: resolve the Topic Alias, authorize, retain, route, acknowledge.</summary>
    private async ValueTask<bool> HandlePublishAsync(MqttFrame frame)
    {
        if (!PublishPacket.TryRead(frame, Version, out PublishPacket publish, out DecodeError error))
        {
            await FailAsync(error);
            return false;
        }
        if (publish.Properties.SubscriptionIdentifiers.Count > 0)
        {
            await CloseFromReadLoopAsync(ReasonCode.ProtocolError, "[MQTT-3.3.4-6] a client's PUBLISH carries a Subscription Identifier");
            return false;
        }
        string? topic = ResolveTopic(publish, out ReasonCode aliasError, out string? aliasProblem);
        if (topic is null)
        {
            await CloseFromReadLoopAsync(aliasError, aliasProblem);
            return false;
        }
        Session session = _session!;
        if (publish.QoS == QualityOfService.ExactlyOnce)
        {
            bool overReceiveMaximum;
            lock (session.Gate)
            {
                if (session.IncomingQoS2.Contains(publish.PacketId))
                {
                    // [MQTT-4.3.3-10] any PUBLISH with the id before its PUBREL, DUP or not, is acknowledged again and not
                    // delivered again. (Mosquitto, which delivers at PUBREL, replaces a held message that comes without
                    // DUP; routing at PUBLISH, we cannot without delivering both.)
                    return Enqueue(OutboundPacket.Ack(PacketType.PubRec, publish.PacketId));
                }
                // 3.1.1 has no Receive Maximum to tell the client, so there the Packet Identifier space is the bound
                // (at most 65,535 ids held, about 1 MiB), as Mosquitto accepts too; an MQTT 5 client knows ours.
                overReceiveMaximum = Version == ProtocolVersion.V500 && session.IncomingQoS2.Count >= Options.ReceiveMaximum;
            }
            if (overReceiveMaximum)
            {
                // Outside the session's gate: closing settles the session and the Will, which take the broker's locks.
                await CloseFromReadLoopAsync(ReasonCode.ReceiveMaximumExceeded,
                    $"[MQTT-3.3.4-7] more than the Receive Maximum of {Options.ReceiveMaximum} QoS 2 PUBLISHes unacknowledged");
                return false;
            }
        }
        _broker.Statistics.MessageReceived(frame.Length);
        ReasonCode outcome = await PublishAsync(frame, publish, topic);
        switch (publish.QoS)
        {
            case QualityOfService.AtLeastOnce:
                Enqueue(OutboundPacket.Ack(PacketType.PubAck, publish.PacketId, outcome));
                break;
            case QualityOfService.ExactlyOnce:
                Enqueue(OutboundPacket.Ack(PacketType.PubRec, publish.PacketId, outcome));
                break;
        }
        if (_fullSessions is { Count: > 0 })
        {
            await WaitForSubscribersAsync(_fullSessions);
        }
        return true;
    }

    /// <summary>
    /// Back-pressure: the message found these subscribers' queues full, so this client's next packets wait, and TCP
    /// slows it down, until a quarter of each queue is free or <see cref="BrokerOptions.MaximumPublisherHold"/> has passed
    /// (for all of them together: several stuck subscribers must not add up). A burst into a subscriber that keeps up
    /// is thus delivered whole, where dropping it would lose QoS 1/2 messages the publisher was told were accepted.
    /// </summary>
    private async ValueTask WaitForSubscribersAsync(List<Session> full)
    {
        try
        {
            long now = Environment.TickCount64;
            if (now < _holdsResumeAt)
            {
                // Held until a slow subscriber gave up lately: not again for a while, whoever is slow next (many
                // subscribers made slow in turn would otherwise hold this client most of the time).
                return;
            }
            long deadline = now + (long)Options.MaximumPublisherHold.TotalMilliseconds;
            foreach (Session session in full)
            {
                lock (_broker.HoldGate)
                {
                    // Never for a client that is held itself: two clients feeding each other would each wait for
                    // acknowledgements the other does not read. Its queue may then go past the limit, to twice it.
                    if (session.Connection is { IsHeldBack: true })
                    {
                        continue;
                    }
                    _heldBack = true;
                }
                if (!await session.WaitForRoomAsync(deadline, Options.MaximumPublisherHold))
                {
                    _holdsResumeAt = Session.CooldownEnd(Environment.TickCount64, Options.MaximumPublisherHold);
                }
            }
        }
        finally
        {
            full.Clear();
            // The Keep Alive counts from here: what the client sent meanwhile (PINGREQ) was not read yet.
            Volatile.Write(ref _lastReceived, Environment.TickCount64);
            _heldBack = false;
        }
    }

    /// <summary>Authorizes, retains and routes the message; a QoS 2 one accepted has its Packet Identifier held until PUBREL.</summary>
    private async ValueTask<ReasonCode> PublishAsync(MqttFrame frame, PublishPacket publish, string topic)
    {
        if (HasTooManyLevels(topic))
        {
            return Received(publish, Version == ProtocolVersion.V500 ? ReasonCode.TopicNameInvalid : ReasonCode.Success);
        }
        if (!await Options.Authorizer.CanPublishAsync(Client, topic))
        {
            // 3.1.1 has no way to say no: the message is acknowledged and dropped, as Mosquitto does.
            return Received(publish, Version == ProtocolVersion.V500 ? ReasonCode.NotAuthorized : ReasonCode.Success);
        }
        if (_closing)
        {
            // Taken over or revoked while the check ran: the connection replacing this one may have had the same
            // message resent (a QoS 2 id it released since), so routing it now would deliver it twice.
            return ReasonCode.UnspecifiedError;
        }
        var message = ApplicationMessage.Copy(frame, Version, topic, Client.ClientId);
        // A state save must not come between routing a QoS 2 message and holding its id (see SaveGate).
        ReaderWriterLockSlim? saveGate = publish.QoS == QualityOfService.ExactlyOnce ? _broker.SaveGate : null;
        saveGate?.EnterReadLock();
        try
        {
            if (publish.QoS == QualityOfService.ExactlyOnce && !HoldIncomingId(publish.PacketId))
            {
                // Resent on the connection that took this one over, which routed it first [MQTT-4.3.3-10].
                return ReasonCode.Success;
            }
            if (publish.Retain && !_broker.Retained.TrySet(message))
            {
                return RefuseRetained(publish, message);
            }
            int subscribers = _broker.Route(message, _fullSessions ??= []);
            return subscribers == 0 && Version == ProtocolVersion.V500 ? ReasonCode.NoMatchingSubscribers : ReasonCode.Success;
        }
        finally
        {
            saveGate?.ExitReadLock();
        }
    }

    /// <summary>
    /// Holds a QoS 2 message's Packet Identifier until PUBREL, before the message is routed: a resend on a connection
    /// that takes this one over meanwhile (same session) is then acknowledged, not routed again [MQTT-4.3.3-10], and
    /// its PUBREL cannot come before the hold and leave the id held after it. False when it is held already.
    /// </summary>
    private bool HoldIncomingId(ushort packetId)
    {
        lock (_session!.Gate)
        {
            return _session.IncomingQoS2.Add(packetId);
        }
    }

    /// <summary>
    /// A retained message the store has no room for is refused as a whole (0x97 Quota exceeded), not routed, so the
    /// publisher learns that none of it took effect (the topic's older retained message is cleared, see
    /// <see cref="RetainedStore.TrySet"/>). 3.1.1 cannot refuse it: acknowledged and dropped, as an unauthorized one.
    /// </summary>
    private ReasonCode RefuseRetained(in PublishPacket publish, ApplicationMessage message)
    {
        _broker.RetainedStoreFull(message);
        if (Version != ProtocolVersion.V500)
        {
            return ReasonCode.Success; // a QoS 2 id stays held: a resend is acknowledged, not handled again
        }
        if (publish.QoS == QualityOfService.ExactlyOnce)
        {
            // after PUBREC 0x97 a PUBLISH reusing the id is new [MQTT-4.3.3-9]: the id is free for a new message.
            lock (_session!.Gate)
            {
                _session.IncomingQoS2.Remove(publish.PacketId);
            }
        }
        return ReasonCode.QuotaExceeded;
    }

    /// <summary>
    /// Holds a QoS 2 message's Packet Identifier until PUBREL when it was accepted without being routed (3.1.1 has no
    /// refusal), so that a resend is acknowledged and not handled again [MQTT-4.3.3-10]; returns <paramref name="outcome"/>.
    /// </summary>
    private ReasonCode Received(in PublishPacket publish, ReasonCode outcome)
    {
        if (publish.QoS == QualityOfService.ExactlyOnce && outcome < ReasonCode.UnspecifiedError)
        {
            HoldIncomingId(publish.PacketId);
        }
        return outcome;
    }

    /// <summary>Deeper than <see cref="BrokerOptions.MaximumTopicLevels"/> allows (a filter's share prefix counts too).</summary>
    private bool HasTooManyLevels(string topicOrFilter) => topicOrFilter.AsSpan().Count('/') >= Options.MaximumTopicLevels;

    /// <summary>Topic Alias (3.3.2.3.4): a name with an alias sets it; an empty name uses it.</summary>
    private string? ResolveTopic(in PublishPacket publish, out ReasonCode error, out string? problem)
    {
        error = ReasonCode.Success;
        problem = null;
        if (publish.Properties.TopicAlias is not ushort alias)
        {
            return publish.TopicString;
        }
        if (alias > Options.TopicAliasMaximum)
        {
            error = ReasonCode.TopicAliasInvalid;
            problem = $"[MQTT-3.3.2-9] Topic Alias {alias} is above the Topic Alias Maximum {Options.TopicAliasMaximum}";
            return null;
        }
        _topicAliases ??= new string?[Options.TopicAliasMaximum + 1];
        if (!publish.Topic.IsEmpty)
        {
            return _topicAliases[alias] = publish.TopicString;
        }
        if (_topicAliases[alias] is not string known)
        {
            error = ReasonCode.ProtocolError;
            problem = $"Topic Alias {alias} stands for no topic on this connection yet [MQTT-3.3.2-7]";
            return null;
        }
        return known;
    }

    /// <summary>
    /// Aliases the broker gives a client at most, and the longest topic it aliases: the client's Topic Alias Maximum
    /// may be 65,535, and the broker keeps each aliased topic for the whole connection.
    /// </summary>
    internal const int MaximumOutboundAliases = 64;

    internal const int MaximumAliasedTopicLength = 256;

    /// <summary>
    /// Topic Alias towards the client, for the writer loop only: a topic that has one goes out as the alias alone;
    /// otherwise the next free alias is offered (sent with the name, then <see cref="KeepOutboundAlias"/>) until
    /// the client's maximum or ours is reached, after which new topics go by name [MQTT-3.1.2-26] [MQTT-3.1.2-27].
    /// </summary>
    private ushort OutboundAlias(string topic, out bool known)
    {
        known = false;
        if (ClientTopicAliasMaximum == 0 || topic.Length > MaximumAliasedTopicLength)
        {
            return 0;
        }
        _outboundAliases ??= new Dictionary<string, ushort>(StringComparer.Ordinal);
        if (_outboundAliases.TryGetValue(topic, out ushort alias))
        {
            known = true;
            return alias;
        }
        return _outboundAliases.Count < Math.Min((int)ClientTopicAliasMaximum, MaximumOutboundAliases) ? (ushort)(_outboundAliases.Count + 1) : (ushort)0;
    }

    private void KeepOutboundAlias(string topic, ushort alias) => _outboundAliases![topic] = alias;

    private bool HandlePubAck(in MqttFrame frame)
    {
        if (!Check(PubAckPacket.TryRead(frame, Version, out PubAckPacket ack, out DecodeError error), error))
        {
            return false;
        }
        _session!.Complete(ack.PacketId);
        return true;
    }

    private bool HandlePubRec(in MqttFrame frame)
    {
        if (!Check(PubRecPacket.TryRead(frame, Version, out PubRecPacket rec, out DecodeError error), error))
        {
            return false;
        }
        if (rec.ReasonCode >= ReasonCode.UnspecifiedError)
        {
            _session!.Abandon(rec.PacketId);
            return true;
        }
        bool known = _session!.Release(rec.PacketId);
        return Enqueue(OutboundPacket.Ack(PacketType.PubRel, rec.PacketId, known ? ReasonCode.Success : ReasonCode.PacketIdentifierNotFound));
    }

    private bool HandlePubRel(in MqttFrame frame)
    {
        if (!Check(PubRelPacket.TryRead(frame, Version, out PubRelPacket rel, out DecodeError error), error))
        {
            return false;
        }
        bool known;
        lock (_session!.Gate)
        {
            known = _session.IncomingQoS2.Remove(rel.PacketId);
        }
        return Enqueue(OutboundPacket.Ack(PacketType.PubComp, rel.PacketId, known ? ReasonCode.Success : ReasonCode.PacketIdentifierNotFound));
    }

    private bool HandlePubComp(in MqttFrame frame)
    {
        if (!Check(PubCompPacket.TryRead(frame, Version, out PubCompPacket comp, out DecodeError error), error))
        {
            return false;
        }
        _session!.Complete(comp.PacketId);
        return true;
    }

    private bool HandleDisconnect(in MqttFrame frame)
    {
        if (!Check(DisconnectPacket.TryRead(frame, Version, out DisconnectPacket disconnect, out DecodeError error), error))
        {
            return false;
        }
        if (disconnect.Properties.SessionExpiryInterval is uint expiry)
        {
            if (_connect!.SessionExpiry == 0 && expiry != 0)
            {
                _ = CloseFromReadLoopAsync(ReasonCode.ProtocolError,
                    "DISCONNECT sets a Session Expiry Interval where CONNECT's was 0 (3.14.2.2.2): the session was to end with the connection");
                return false;
            }
            _session!.SetExpiryFrom(this, Options.CapSessionExpiry(expiry));
        }
        // [MQTT-3.14.4-3] [MQTT-3.1.2-10] only Reason Code 0x00 discards the Will; 0x04 and the error codes leave it to be published.
        _normalDisconnect = disconnect.ReasonCode == ReasonCode.NormalDisconnection;
        return false;
    }
}
