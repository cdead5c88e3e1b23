using System.Buffers;
using Mqtt.Codec;

namespace Mqtt.Client.Tests;

/// <summary>
/// Compares what the client did against one <see cref="ServerScript"/> with the <see cref="ExpectedClientReaction"/>
/// to the same bytes. Two things may cut the client's reading short, so that it acts on a prefix of the stream only:
/// a server that closes abruptly may reset the connection before the client has read everything (a lost connection
/// without reason code), and a server Maximum Packet Size too small for an answer ends the connection with 0x95 when
/// the client has to send one [MQTT-3.2.2-15].
/// </summary>
public sealed class ClientReactionChecks
{
    private readonly ProtocolVersion _version;
    private readonly ServerScript _script;
    private readonly ExpectedClientReaction _expected;
    private readonly ClientLimits _limits;
    private readonly string _trace;

    public ClientReactionChecks(ProtocolVersion version, ServerScript script, ExpectedClientReaction expected, ClientLimits limits)
    {
        _version = version;
        _script = script;
        _expected = expected;
        _limits = limits;
        _trace = $"{script}; expected {(expected.Connected ? "connected, then " : "")}{expected.End} " +
            $"{(expected.EndReason is ReasonCode code ? $"0x{(byte)code:X2}" : "")} with {expected.Messages.Count} messages";
    }

    /// <summary>
    /// Every request was made before the client read anything after CONNACK, and nothing the stream holds can race
    /// them: the first completing acknowledgement in the stream is the one each request gets.
    /// </summary>
    private bool RequestsPrecedeTheStream =>
        !MayEndEarly && _script.HeadIsOnePacket(_limits.MaximumPacketSize) && _expected.ConnAck is { ReceiveMaximum: >= 2 };

    public void CheckConnect(Exception? failure, MqttConnectResult? result)
    {
        if (failure is null)
        {
            Assert.True(_expected.Connected, $"the client connected: {_trace}");
            Assert.True(_expected.ConnAck == ConnAckSummary.Of(result!), $"the client reports {ConnAckSummary.Of(result!)}: {_trace}");
            return;
        }
        Assert.True(failure is MqttException, $"connecting failed with {failure}: {_trace}");
        if (IsEarlyEnd(failure))
        {
            return;
        }
        Assert.False(_expected.Connected, $"connecting failed with {failure}: {_trace}");
        switch (_expected.End)
        {
            case ExpectedEnd.Closed:
                Assert.True(failure is MqttConnectionLostException, $"connecting failed with {failure}: {_trace}");
                break;
            case ExpectedEnd.Refused:
                var refused = Assert.IsType<MqttConnectException>(failure);
                Assert.True(_expected.ConnAck == ConnAckSummary.Of(refused.Result), $"the refusal reports {ConnAckSummary.Of(refused.Result)}: {_trace}");
                break;
            default:
                Assert.True(failure is MqttProtocolException { ReasonCode: var code } && code == _expected.EndReason,
                    $"connecting failed with {failure}: {_trace}");
                break;
        }
    }

    public void CheckDisconnected(MqttDisconnectedEventArgs args)
    {
        Assert.False(args.WillReconnect, $"the client will reconnect: {_trace}");
        Exception? reason = args.Exception;
        if (reason is not null && IsEarlyEnd(reason))
        {
            return;
        }
        bool expected = _expected.End switch
        {
            ExpectedEnd.Closed => reason is MqttConnectionLostException { ReasonCode: null },
            ExpectedEnd.ServerDisconnected => reason is MqttConnectionLostException { ReasonCode: var code } && code == _expected.EndReason,
            ExpectedEnd.ProtocolViolation => reason is MqttProtocolException { ReasonCode: var code } && code == _expected.EndReason,
            _ => false,
        };
        Assert.True(expected, $"the connection ended with {reason?.ToString() ?? "no reason"}: {_trace}");
    }

    /// <summary>The messages the stream holds, in order, none lost and none invented; then the reason the client stopped.</summary>
    public void CheckMessages(List<MqttApplicationMessage> messages, Exception? end)
    {
        foreach (MqttApplicationMessage message in messages)
        {
            Assert.False(string.IsNullOrEmpty(message.Topic), $"a message without a topic: {_trace}");
        }
        List<string> received = messages.Select(m => ExpectedMessage.Of(m).ToString()).ToList();
        List<string> expected = _expected.Messages.Select(m => m.ToString()).ToList();
        bool matches = MayEndEarly
            ? received.Count <= expected.Count && received.SequenceEqual(expected.Take(received.Count))
            : received.SequenceEqual(expected);
        Assert.True(matches, $"received [{string.Join(", ", received)}], expected [{string.Join(", ", expected)}]: {_trace}");
        Assert.True(end is not null, $"reading messages ended without the reason the connection was lost: {_trace}");
    }

    /// <summary>The SUBSCRIBE (Packet Identifier 1) gets the codes of a SUBACK the stream holds, or fails with an MqttException.</summary>
    public void CheckSubscribe(Task<MqttSubscribeResult> subscribing, Exception? failure)
    {
        List<byte[]> completions = _expected.Acknowledgements.Where(a => a.Type == PacketType.SubAck && a.PacketId == 1).Select(a => a.ReasonCodes).ToList();
        if (failure is null)
        {
            string codes = Convert.ToHexString(subscribing.Result.ReasonCodes.Select(c => (byte)c).ToArray());
            List<string> allowed = (RequestsPrecedeTheStream ? completions.Take(1) : completions).Select(Convert.ToHexString).ToList();
            Assert.True(allowed.Contains(codes), $"SUBSCRIBE got {codes}, expected one of [{string.Join(", ", allowed)}]: {_trace}");
            return;
        }
        Assert.True(failure is MqttException, $"SUBSCRIBE failed with {failure}: {_trace}");
        if (RequestsPrecedeTheStream && failure is not MqttException { ReasonCode: ReasonCode.PacketTooLarge })
        {
            Assert.True(completions.Count == 0, $"SUBSCRIBE failed with {failure.Message} although a SUBACK came: {_trace}");
        }
    }

    /// <summary>
    /// A publication gets the reason code of an acknowledgement that completes it (PUBACK; PUBREC of 0x80 or above, or
    /// PUBCOMP after a PUBREC), is refused over the server's Maximum QoS, or fails with an MqttException.
    /// </summary>
    public void CheckPublish(Task<MqttPublishResult> publishing, Exception? failure, QualityOfService qos)
    {
        bool overMaximumQoS = qos > _expected.ConnAck!.MaximumQoS;
        if (overMaximumQoS || failure is MqttException { ReasonCode: ReasonCode.QoSNotSupported })
        {
            // [MQTT-3.2.2-11] Refused, unless the connection was gone already when it was asked for.
            Assert.True(overMaximumQoS && failure is MqttException { ReasonCode: ReasonCode.QoSNotSupported } or MqttConnectionLostException,
                $"QoS {(int)qos} publication over Maximum QoS {(int)_expected.ConnAck.MaximumQoS} ended with {failure?.ToString() ?? "success"}: {_trace}");
            return;
        }
        // Packet Identifiers go 1 (the SUBSCRIBE), 2, 3 in request order; a QoS 2 request comes after the QoS 1 one.
        ushort expectedId = qos == QualityOfService.AtLeastOnce ? (ushort)2 : (ushort)3;
        if (failure is null)
        {
            MqttPublishResult result = publishing.Result;
            List<ReasonCode> completions = Completions(qos, result.PacketId);
            List<ReasonCode> allowed = RequestsPrecedeTheStream ? completions.Take(1).ToList() : completions;
            Assert.True(allowed.Contains(result.ReasonCode) && (!RequestsPrecedeTheStream || result.PacketId == expectedId),
                $"QoS {(int)qos} publication {result.PacketId} got 0x{(byte)result.ReasonCode:X2}, expected one of [{string.Join(", ", allowed)}]: {_trace}");
            return;
        }
        Assert.True(failure is MqttException, $"QoS {(int)qos} publication failed with {failure}: {_trace}");
        if (RequestsPrecedeTheStream && failure is not MqttException { ReasonCode: ReasonCode.PacketTooLarge })
        {
            Assert.True(Completions(qos, expectedId).Count == 0, $"QoS {(int)qos} publication failed with {failure.Message} although acknowledged: {_trace}");
        }
    }

    /// <summary>
    /// The client's packets after CONNECT (all of them when the server half-closed, what arrived before it closed
    /// otherwise) decode, stay within the server's limits, answer only what the server sent, and end with the
    /// DISCONNECT the violation calls for, if any.
    /// </summary>
    public void CheckClientPackets(OwnedPacket connectFrame, byte[] sent, MqttConnectResult? accepted)
    {
        Assert.True(ConnectPacket.TryRead(connectFrame.Frame, out ConnectPacket connect, out DecodeError connectError), $"CONNECT: {connectError}");
        Assert.Equal(_version, connect.Version);
        string trace = $"the client sent {Convert.ToHexString(sent)} after CONNECT; {_trace}";
        uint maximumPacketSize = accepted?.MaximumPacketSize ?? uint.MaxValue;
        bool disconnected = false;
        var rest = new ReadOnlySequence<byte>(sent);
        while (!rest.IsEmpty)
        {
            DecodeStatus status = MqttFrameReader.TryRead(rest, int.MaxValue, out MqttFrame frame, out DecodeError error);
            if (status == DecodeStatus.NeedMoreData && _script.CloseAbruptly)
            {
                break;
            }
            Assert.True(status == DecodeStatus.Complete, $"a packet that does not decode ({status} {error}): {trace}");
            // [MQTT-3.14.4-1]
            Assert.False(disconnected, $"a packet after the client's DISCONNECT: {trace}");
            // [MQTT-3.2.2-15]
            Assert.True(frame.Length <= maximumPacketSize, $"a {frame.Type} over the server's Maximum Packet Size: {trace}");
            CheckClientPacket(frame, accepted, trace);
            disconnected = frame.Type == PacketType.Disconnect;
            rest = rest.Slice(frame.Length);
        }
        // A DISCONNECT that does not fit the server's Maximum Packet Size is left out.
        bool violationToReport = _version == ProtocolVersion.V500 && _expected.End == ExpectedEnd.ProtocolViolation
            && new DisconnectPacket { ReasonCode = _expected.EndReason!.Value }.GetSize(_version) <= maximumPacketSize;
        if (violationToReport && !MayEndEarly)
        {
            Assert.True(disconnected, $"no DISCONNECT 0x{(byte)_expected.EndReason!.Value:X2} for the server's violation: {trace}");
        }
    }

    private void CheckClientPacket(in MqttFrame frame, MqttConnectResult? accepted, string trace)
    {
        DecodeError error;
        ushort answered;
        switch (frame.Type)
        {
            case PacketType.Publish:
                Assert.True(PublishPacket.TryRead(frame, _version, out PublishPacket publish, out error), $"PUBLISH: {error}; {trace}");
                // [MQTT-3.2.2-11] [MQTT-3.2.2-17] [MQTT-3.3.4-6]
                Assert.True(publish.QoS <= accepted!.MaximumQoS, $"a PUBLISH over the server's Maximum QoS: {trace}");
                Assert.True((publish.Properties.TopicAlias ?? 0) <= accepted.TopicAliasMaximum, $"a Topic Alias over the server's maximum: {trace}");
                Assert.True(publish.Properties.SubscriptionIdentifiers.Count == 0, $"a PUBLISH with a Subscription Identifier: {trace}");
                return;
            case PacketType.Subscribe:
                Assert.True(SubscribePacket.TryRead(frame, _version, out _, out error), $"SUBSCRIBE: {error}; {trace}");
                return;
            case PacketType.PingReq:
                Assert.True(PingReqPacket.TryRead(frame, out _, out error), $"PINGREQ: {error}; {trace}");
                return;
            case PacketType.PubAck:
                Assert.True(PubAckPacket.TryRead(frame, _version, out PubAckPacket pubAck, out error), $"PUBACK: {error}; {trace}");
                answered = pubAck.PacketId;
                break;
            case PacketType.PubRec:
                Assert.True(PubRecPacket.TryRead(frame, _version, out PubRecPacket pubRec, out error), $"PUBREC: {error}; {trace}");
                answered = pubRec.PacketId;
                break;
            case PacketType.PubRel:
                Assert.True(PubRelPacket.TryRead(frame, _version, out PubRelPacket pubRel, out error), $"PUBREL: {error}; {trace}");
                answered = pubRel.PacketId;
                break;
            case PacketType.PubComp:
                Assert.True(PubCompPacket.TryRead(frame, _version, out PubCompPacket pubComp, out error), $"PUBCOMP: {error}; {trace}");
                answered = pubComp.PacketId;
                break;
            case PacketType.Disconnect:
                Assert.True(DisconnectPacket.TryRead(frame, _version, out DisconnectPacket disconnect, out error), $"DISCONNECT: {error}; {trace}");
                // Only a violation makes the client say goodbye here, with the reason code of the rule broken.
                Assert.True(_version == ProtocolVersion.V500 && _expected.End == ExpectedEnd.ProtocolViolation && disconnect.ReasonCode == _expected.EndReason,
                    $"DISCONNECT 0x{(byte)disconnect.ReasonCode:X2}: {trace}");
                return;
            default:
                Assert.Fail($"the client sent {frame.Type}: {trace}");
                return;
        }
        bool acknowledgesMessage = frame.Type is PacketType.PubAck or PacketType.PubRec;
        Assert.False(acknowledgesMessage && _script.ManualAcknowledgement, $"a {frame.Type} nobody asked for: {trace}");
        Assert.True(_expected.MayAnswer.Contains((frame.Type, answered)), $"a {frame.Type} {answered} answering nothing the server sent: {trace}");
    }

    /// <summary>The reason codes that would complete the client's publication <paramref name="packetId"/>, in stream order.</summary>
    private List<ReasonCode> Completions(QualityOfService qos, ushort packetId)
    {
        var codes = new List<ReasonCode>();
        bool released = false;
        foreach ((PacketType type, ushort id, byte[] reasonCodes) in _expected.Acknowledgements)
        {
            var code = (ReasonCode)reasonCodes[0];
            if (id != packetId)
            {
                continue;
            }
            if (qos == QualityOfService.AtLeastOnce ? type == PacketType.PubAck : (type == PacketType.PubRec && (byte)code >= 0x80) || (type == PacketType.PubComp && released))
            {
                codes.Add(code);
            }
            released |= qos == QualityOfService.ExactlyOnce && type == PacketType.PubRec && (byte)code < 0x80;
        }
        return codes;
    }

    /// <summary>PUBREL and PUBCOMP with a reason code take 5 bytes.</summary>
    private bool AnswersMayNotFit => _expected.ConnAck?.MaximumPacketSize < 5;

    private bool MayEndEarly => _script.CloseAbruptly || AnswersMayNotFit;

    /// <summary>An end the stream does not predict, but one of the causes that cut reading short explains.</summary>
    private bool IsEarlyEnd(Exception e) =>
        (_script.CloseAbruptly && e is MqttConnectionLostException { ReasonCode: null })
        || (AnswersMayNotFit && e is MqttException { ReasonCode: ReasonCode.PacketTooLarge });
}
