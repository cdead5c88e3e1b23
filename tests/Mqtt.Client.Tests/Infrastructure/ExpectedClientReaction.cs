using System.Buffers;
using Mqtt.Codec;

namespace Mqtt.Client.Tests;

/// <summary>
/// What our client should make of a byte stream from a server, worked out packet by packet: the codec judges whether
/// each packet is well-formed (and with which reason code it is not), the model adds the client's own rules (CONNACK
/// first, topic aliases, Receive Maximum, QoS 2 deduplication until PUBREL, packets a server never sends). The result
/// is the handshake's outcome, the messages delivered in order, the acknowledgements seen, and how the connection ends.
/// </summary>
public sealed class ExpectedClientReaction
{
    private readonly ProtocolVersion _version;
    private readonly ClientLimits _limits;
    private readonly string?[] _aliases;
    private readonly HashSet<ushort> _unacknowledgedAtLeastOnce = new();
    private readonly HashSet<ushort> _heldExactlyOnce = new();
    private bool _subscribeWaiting;

    /// <summary>The size of the client's SUBSCRIBE (Packet Identifier 1, "a/#" at QoS 2) in MQTT 5.</summary>
    private static readonly int SubscribeSize = new SubscribePacket
    {
        PacketId = 1,
        Subscriptions = SubscriptionList.Create([new Subscription(MqttUtf8.Encode("a/#"), QualityOfService.ExactlyOnce)]),
    }.GetSize(ProtocolVersion.V500);

    private ExpectedClientReaction(ProtocolVersion version, ClientLimits limits, bool subscribes)
    {
        _version = version;
        _limits = limits;
        _subscribeWaiting = subscribes;
        _aliases = new string?[limits.TopicAliasMaximum + 1];
    }

    /// <summary>The CONNACK accepted the connection.</summary>
    public bool Connected { get; private set; }

    /// <summary>The CONNACK the client accepted (or refused), when one decoded.</summary>
    public ConnAckSummary? ConnAck { get; private set; }

    public ExpectedEnd End { get; private set; }

    /// <summary>The code of the violation, the refusal or the server's DISCONNECT; null when the bytes ran out.</summary>
    public ReasonCode? EndReason { get; private set; }

    public List<ExpectedMessage> Messages { get; } = new();

    /// <summary>The PUBACKs, PUBRECs, PUBCOMPs and SUBACKs the client read, in order, with their reason codes.</summary>
    public List<(PacketType Type, ushort PacketId, byte[] ReasonCodes)> Acknowledgements { get; } = new();

    /// <summary>
    /// The answers the packets it read allow the client: PUBACK to a QoS 1 PUBLISH, PUBREC to a QoS 2 one, PUBREL to a
    /// PUBREC, PUBCOMP to a PUBREL, each with the same Packet Identifier.
    /// </summary>
    public HashSet<(PacketType, ushort)> MayAnswer { get; } = new();

    /// <param name="subscribes">The client's SUBSCRIBE of one filter, Packet Identifier 1, waits for its SUBACK from
    /// the CONNACK on (made before the client reads anything after the CONNACK).</param>
    public static ExpectedClientReaction Of(byte[] stream, ProtocolVersion version, ClientLimits limits, bool subscribes)
    {
        var reaction = new ExpectedClientReaction(version, limits, subscribes);
        reaction.Run(new ReadOnlySequence<byte>(stream));
        return reaction;
    }

    private void Run(ReadOnlySequence<byte> input)
    {
        if (!Handshake(ref input))
        {
            return;
        }
        Connected = true;
        while (true)
        {
            DecodeStatus status = MqttFrameReader.TryRead(input, _limits.MaximumPacketSize, out MqttFrame frame, out DecodeError error);
            if (status == DecodeStatus.NeedMoreData)
            {
                End = ExpectedEnd.Closed;
                return;
            }
            if (status == DecodeStatus.Invalid || !OnPacket(frame, out error))
            {
                Violation(error.ReasonCode);
                return;
            }
            if (End == ExpectedEnd.ServerDisconnected)
            {
                return;
            }
            input = input.Slice(frame.Length);
        }
    }

    /// <summary>Up to CONNACK; false when the connection attempt fails.</summary>
    private bool Handshake(ref ReadOnlySequence<byte> input)
    {
        DecodeStatus status = MqttFrameReader.TryRead(input, _limits.MaximumPacketSize, out MqttFrame frame, out DecodeError error);
        if (status == DecodeStatus.NeedMoreData)
        {
            End = ExpectedEnd.Closed;
            return false;
        }
        if (status == DecodeStatus.Invalid)
        {
            return Violation(error.ReasonCode);
        }
        if (frame.Type == PacketType.Auth && _version == ProtocolVersion.V500)
        {
            // The client uses no enhanced authentication: any AUTH before CONNACK is out of place [MQTT-4.12.0-2].
            return Violation(AuthPacket.TryRead(frame, _version, out _, out error) ? ReasonCode.ProtocolError : error.ReasonCode);
        }
        if (frame.Type != PacketType.ConnAck)
        {
            return Violation(ReasonCode.ProtocolError);
        }
        if (_version == ProtocolVersion.V500 && frame.Body.Length == 2 && frame.Body.Slice(1).FirstSpan[0] == 0x01)
        {
            // A 3.1.1 server's CONNACK refusing level 5 [MQTT-3.1.2-2]: the client reports 0x84 Unsupported Protocol Version.
            End = ExpectedEnd.Refused;
            EndReason = ReasonCode.UnsupportedProtocolVersion;
            return false;
        }
        if (!ConnAckPacket.TryRead(frame, _version, out ConnAckPacket connAck, out error))
        {
            return Violation(error.ReasonCode);
        }
        ConnAck = ConnAckSummary.Of(connAck);
        if (ConnAck.MaximumPacketSize < SubscribeSize)
        {
            // Refused before sending, so nothing waits for a SUBACK.
            _subscribeWaiting = false;
        }
        if ((byte)connAck.ReasonCode >= 0x80)
        {
            End = ExpectedEnd.Refused;
            EndReason = connAck.ReasonCode;
            return false;
        }
        if (connAck.SessionPresent)
        {
            // [MQTT-3.2.2-4] The client connects with Clean Start 1, so it holds no session the server could resume.
            return Violation(ReasonCode.ProtocolError);
        }
        input = input.Slice(frame.Length);
        return true;
    }

    /// <summary>One packet after CONNACK, as the client's read loop handles it; false with the error when it is a violation.</summary>
    private bool OnPacket(in MqttFrame frame, out DecodeError error)
    {
        error = default;
        switch (frame.Type)
        {
            case PacketType.PingResp:
                return PingRespPacket.TryRead(frame, out _, out error);
            case PacketType.Publish:
                return PublishPacket.TryRead(frame, _version, out PublishPacket publish, out error) && OnPublish(publish, out error);
            case PacketType.PubAck:
                if (!PubAckPacket.TryRead(frame, _version, out PubAckPacket pubAck, out error))
                {
                    if (!OffListRefusal.TryRead(frame, _version, out ushort id, out ReasonCode code))
                    {
                        return false;
                    }
                    pubAck = new PubAckPacket { PacketId = id, ReasonCode = code };
                }
                Acknowledged(PacketType.PubAck, pubAck.PacketId, [(byte)pubAck.ReasonCode]);
                return true;
            case PacketType.PubRec:
                if (!PubRecPacket.TryRead(frame, _version, out PubRecPacket pubRec, out error))
                {
                    if (!OffListRefusal.TryRead(frame, _version, out ushort id, out ReasonCode code))
                    {
                        return false;
                    }
                    pubRec = new PubRecPacket { PacketId = id, ReasonCode = code };
                }
                Acknowledged(PacketType.PubRec, pubRec.PacketId, [(byte)pubRec.ReasonCode]);
                MayAnswer.Add((PacketType.PubRel, pubRec.PacketId));
                return true;
            case PacketType.PubRel:
                if (!PubRelPacket.TryRead(frame, _version, out PubRelPacket pubRel, out error))
                {
                    return false;
                }
                _heldExactlyOnce.Remove(pubRel.PacketId);
                MayAnswer.Add((PacketType.PubComp, pubRel.PacketId));
                return true;
            case PacketType.PubComp:
                if (!PubCompPacket.TryRead(frame, _version, out PubCompPacket pubComp, out error))
                {
                    return false;
                }
                Acknowledged(PacketType.PubComp, pubComp.PacketId, [(byte)pubComp.ReasonCode]);
                return true;
            case PacketType.SubAck:
                if (!SubAckPacket.TryRead(frame, _version, out SubAckPacket subAck, out error))
                {
                    return false;
                }
                if (_subscribeWaiting && subAck.PacketId == 1)
                {
                    _subscribeWaiting = false;
                    if (subAck.ReasonCodes.Length != 1)
                    {
                        // [MQTT-3.8.4-6] One reason code per filter; later SUBACKs with this id answer nothing and are ignored.
                        error = error with { ReasonCode = ReasonCode.ProtocolError };
                        return false;
                    }
                }
                Acknowledged(PacketType.SubAck, subAck.PacketId, subAck.ReasonCodes.ToArray());
                return true;
            case PacketType.UnsubAck:
                return UnsubAckPacket.TryRead(frame, _version, out _, out error);
            case PacketType.Disconnect:
                if (!DisconnectPacket.TryRead(frame, _version, out DisconnectPacket disconnect, out error))
                {
                    return false;
                }
                End = ExpectedEnd.ServerDisconnected;
                EndReason = disconnect.ReasonCode;
                return true;
            case PacketType.Auth when _version == ProtocolVersion.V500:
                // No re-authentication is in progress, so an AUTH from the server is out of place.
                if (AuthPacket.TryRead(frame, _version, out _, out error))
                {
                    error = error with { ReasonCode = ReasonCode.ProtocolError };
                }
                return false;
            default:
                // CONNACK again, or a packet only a client sends.
                error = error with { ReasonCode = ReasonCode.ProtocolError };
                return false;
        }
    }

    private bool OnPublish(in PublishPacket publish, out DecodeError error)
    {
        error = default;
        string topic = publish.TopicString;
        if (publish.Properties.TopicAlias is ushort alias)
        {
            if (alias >= _aliases.Length)
            {
                // [MQTT-3.3.2-10] Only 1 up to the Topic Alias Maximum the client sent.
                error = error with { ReasonCode = ReasonCode.TopicAliasInvalid };
                return false;
            }
            if (topic.Length > 0)
            {
                _aliases[alias] = topic;
            }
            else if (_aliases[alias] is string mapped)
            {
                topic = mapped;
            }
            else
            {
                error = error with { ReasonCode = ReasonCode.ProtocolError };
                return false;
            }
        }
        ushort id = publish.PacketId;
        if (publish.QoS == QualityOfService.ExactlyOnce && _heldExactlyOnce.Contains(id))
        {
            // [MQTT-4.3.3-10] Answered again, not delivered again before PUBREL.
            return true;
        }
        if (publish.QoS != QualityOfService.AtMostOnce)
        {
            bool known = publish.QoS == QualityOfService.AtLeastOnce && _unacknowledgedAtLeastOnce.Contains(id);
            if (!known && _version == ProtocolVersion.V500 && _unacknowledgedAtLeastOnce.Count + _heldExactlyOnce.Count >= _limits.ReceiveMaximum)
            {
                // [MQTT-3.3.4-9] The server may not exceed the client's Receive Maximum (MQTT 5 only: 3.1.1 cannot announce one).
                error = error with { ReasonCode = ReasonCode.ReceiveMaximumExceeded };
                return false;
            }
            bool atLeastOnce = publish.QoS == QualityOfService.AtLeastOnce;
            (atLeastOnce ? _unacknowledgedAtLeastOnce : _heldExactlyOnce).Add(id);
            MayAnswer.Add((atLeastOnce ? PacketType.PubAck : PacketType.PubRec, id));
        }
        Messages.Add(ExpectedMessage.Of(publish, topic));
        return true;
    }

    private void Acknowledged(PacketType type, ushort packetId, byte[] reasonCodes) => Acknowledgements.Add((type, packetId, reasonCodes));

    private bool Violation(ReasonCode code)
    {
        End = ExpectedEnd.ProtocolViolation;
        EndReason = code;
        return false;
    }
}
