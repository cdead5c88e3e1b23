using CsCheck;

namespace Mqtt.Broker.Tests;

/// <summary>
/// Generated client sessions over TCP, sent as they are or with a few bytes replaced, inserted, removed or bit-flipped,
/// all against one broker. Whatever arrives, the broker answers only with packets our codec reads and that respect what
/// the CONNECT asked for, says nothing after a DISCONNECT or a refusing CONNACK, closes each connection once its client
/// has finished sending, keeps serving a well-behaved client, and logs no unexpected exception.
/// </summary>
public sealed class HostileStreamTests
{
    /// <summary>Sessions per test; <c>MQTTCORE_BROKER_FUZZ_ITERATIONS</c> raises it for a longer run.</summary>
    private static readonly long Iterations =
        long.TryParse(Environment.GetEnvironmentVariable("MQTTCORE_BROKER_FUZZ_ITERATIONS"), out long n) ? n : 1000;

    [Fact]
    public Task Generated_mqtt5_sessions_mutated_or_not_get_only_well_formed_answers() => RunAsync(V5);

    [Fact]
    public Task Generated_mqtt311_sessions_mutated_or_not_get_only_well_formed_answers() => RunAsync(V311);

    private static async Task RunAsync(ProtocolVersion version)
    {
        var log = new ErrorLog();
        await using var broker = await TestBroker.StartAsync(o => o.TopicAliasMaximum = 4, log);
        await using RawClient watcher = await broker.ConnectAsync("watcher", version);
        await watcher.SubscribeAsync("#", QoS0);
        int sessions = 0;

        // Four at a time, so sessions of the same client id take each other over and deliver to each other.
        await Gen.Select(Mutated(Session(version)), Gen.Int[0, 7]).SampleAsync(async (bytes, ending) =>
        {
            await using RawClient client = await broker.OpenAsync(version);
            await client.SendAsync(bytes);
            if (ending == 0)
            {
                // Now and then the client vanishes without reading anything (a reset if the broker has written).
                client.Drop();
            }
            else
            {
                client.ShutdownSend();
                CheckAnswers(bytes, await ReadUntilClosedAsync(client));
            }
            Interlocked.Increment(ref sessions);
        }, iter: Iterations, threads: 4);

        await DrainAsync(watcher);
        await broker.WaitForOpenConnectionsAsync(1);
        Assert.Equal(Iterations, sessions);
        Assert.Empty(log.Errors);
    }

    /// <summary>What the broker may send back for the bytes a client sent.</summary>
    private static void CheckAnswers(byte[] sent, List<ReceivedPacket> answers)
    {
        if (answers.Count == 0)
        {
            return;
        }
        string trace = $"sent {Convert.ToHexString(sent)}; got {string.Join(", ", answers)}";
        Assert.True(answers[0].Type == PacketType.ConnAck, $"the first answer is not CONNACK: {trace}");
        if (!TryReadConnect(sent, out ConnectPacket connect))
        {
            // A CONNECT that does not decode gets at most a CONNACK refusing it, in either protocol's format.
            Assert.True(answers.Count == 1, $"more than a CONNACK for an undecodable CONNECT: {trace}");
            Assert.True(ReadsAsConnAck(answers[0], V5) || ReadsAsConnAck(answers[0], V311), $"CONNACK does not decode: {trace}");
            return;
        }
        uint maximumPacketSize = connect.Properties.MaximumPacketSize ?? uint.MaxValue;
        ushort topicAliasMaximum = connect.Properties.TopicAliasMaximum ?? 0;
        for (int i = 0; i < answers.Count; i++)
        {
            ReceivedPacket packet = answers[i];
            Assert.True(packet.Version == connect.Version || packet.Type == PacketType.ConnAck && i == 0,
                $"the broker answered a {connect.Version} CONNECT in {packet.Version}: {trace}");
            bool last = i == answers.Count - 1;
            MqttProperties properties = default;
            switch (packet.Type)
            {
                case PacketType.ConnAck:
                    Assert.True(i == 0, $"a second CONNACK: {trace}");
                    Assert.True(packet.ConnAck.ReasonCode < ReasonCode.UnspecifiedError || last, $"packets after a refusing CONNACK: {trace}");
                    properties = packet.ConnAck.Properties;
                    break;
                case PacketType.Publish:
                    PublishPacket publish = packet.Publish;
                    Assert.True(packet.Size <= maximumPacketSize, $"a PUBLISH over the client's Maximum Packet Size [MQTT-3.1.2-25]: {trace}");
                    Assert.True((publish.Properties.TopicAlias ?? 0) <= topicAliasMaximum, $"Topic Alias over the client's maximum: {trace}");
                    break;
                case PacketType.PubAck: properties = packet.PubAck.Properties; break;
                case PacketType.PubRec: properties = packet.PubRec.Properties; break;
                case PacketType.PubRel: properties = packet.PubRel.Properties; break;
                case PacketType.PubComp: properties = packet.PubComp.Properties; break;
                case PacketType.SubAck: properties = packet.SubAck.Properties; break;
                case PacketType.UnsubAck: properties = packet.UnsubAck.Properties; break;
                case PacketType.PingResp: Assert.Empty(packet.Body); break;
                case PacketType.Auth: properties = packet.Auth.Properties; break;
                case PacketType.Disconnect:
                    properties = packet.Disconnect.Properties;
                    Assert.True(last, $"packets after the broker's DISCONNECT [MQTT-3.14.4-1]: {trace}");
                    break;
                default:
                    Assert.Fail($"the broker sent a client packet: {trace}");
                    break;
            }
            // Other packets cannot be dropped: over an absurdly small maximum only their Reason String and User Properties
            // must give way [MQTT-3.1.2-24], as [MQTT-3.2.2-19] says for CONNACK.
            Assert.True(packet.Size <= maximumPacketSize || properties.ReasonString is null && properties.UserProperties.Count == 0,
                $"packet {i} ({packet.Size} bytes) is over the client's Maximum Packet Size: {trace}");
        }
    }

    private static bool TryReadConnect(byte[] sent, out ConnectPacket connect)
    {
        connect = default;
        return MqttFrameReader.TryRead(new ReadOnlySequence<byte>(sent), int.MaxValue, out MqttFrame frame, out _) == DecodeStatus.Complete
            && frame.Type == PacketType.Connect
            && ConnectPacket.TryRead(frame, out connect, out _);
    }

    private static bool ReadsAsConnAck(ReceivedPacket packet, ProtocolVersion version) =>
        ConnAckPacket.TryRead(new MqttFrame(packet.Type, packet.Flags, packet.HeaderLength, new ReadOnlySequence<byte>(packet.Body)),
            version, out _, out _);

    /// <summary>Every packet until the broker closes the connection (bounded in count and, per read, in time).</summary>
    private static async Task<List<ReceivedPacket>> ReadUntilClosedAsync(RawClient client)
    {
        var packets = new List<ReceivedPacket>();
        // A resumed session may bring its whole queue (up to 1,000 messages) and the in-flight ones.
        for (int i = 0; i < 5000; i++)
        {
            if (await client.ReadAsync(TimeSpan.FromSeconds(10)) is not ReceivedPacket packet)
            {
                return packets;
            }
            packets.Add(packet);
        }
        throw new InvalidOperationException("more than 5,000 packets for one generated session");
    }

    /// <summary>Reads the watcher's deliveries up to the answer to a PINGREQ; each one must decode.</summary>
    private static async Task DrainAsync(RawClient watcher)
    {
        await watcher.SendPingAsync();
        // Everything published to it since it last read: what its socket buffers held, then the queue behind them.
        for (int i = 0; i < 10_000_000; i++)
        {
            ReceivedPacket? packet = await watcher.ReadAsync();
            Assert.True(packet is not null, "the broker closed the well-behaved watcher's connection");
            if (packet.Type == PacketType.PingResp)
            {
                return;
            }
            Assert.Equal(PacketType.Publish, packet.Type);
            _ = packet.Publish;
        }
        Assert.Fail("no PINGRESP among 10,000,000 packets");
    }

    // ---- generators ----

    private static readonly Gen<string> Topic = Gen.OneOf("a", "a/b", "a/b/c", "b/c", "", "$SYS/x", "a/+", "/");

    private static readonly Gen<string> Filter = Gen.OneOf("#", "a/#", "+/c", "a/+/c", "a/b", "$share/g/a/#", "$share/g", "a/#/b", "$SYS/#", "");

    private static readonly Gen<ushort> PacketId = Gen.UShort[0, 4];

    private static readonly Gen<byte[]> Payload = Gen.Byte.Array[0, 40];

    /// <summary>A CONNECT from one of three client ids, then up to ten packets.</summary>
    private static Gen<byte[]> Session(ProtocolVersion version) =>
        Gen.Select(Connect(version), ClientPacket(version).Array[0, 10], (connect, packets) => (byte[])[.. connect, .. packets.SelectMany(p => p)]);

    private static Gen<byte[]> Connect(ProtocolVersion version) =>
        Gen.Select(Gen.OneOf("h1", "h2", "h3"), Gen.Bool, Gen.Int[-1, 2], Gen.OneOf<uint?>(null, 0u, 1u), Limits,
            (clientId, cleanStart, willQoS, willDelay, properties) =>
            {
                WillMessage? will = willQoS < 0 ? null : Wire.Will("a/will", clientId, (QualityOfService)willQoS,
                    properties: version == V5 ? new MqttProperties { WillDelayInterval = willDelay } : default);
                return Wire.Encode(Wire.Connect(clientId, version, cleanStart, properties: version == V5 ? properties : default, will: will));
            });

    /// <summary>What an MQTT 5 CONNECT asks of the broker: session expiry, and limits on what it sends this client.</summary>
    private static readonly Gen<MqttProperties> Limits =
        Gen.Select(Gen.OneOf(0u, 60u), Gen.OneOf<uint?>(null, 40u, 120u), Gen.OneOf<ushort?>(null, 0, 1, 2), Gen.OneOf<ushort?>(null, 1, 2),
            (sessionExpiry, maximumPacketSize, topicAliasMaximum, receiveMaximum) => new MqttProperties
            {
                SessionExpiryInterval = sessionExpiry,
                MaximumPacketSize = maximumPacketSize,
                TopicAliasMaximum = topicAliasMaximum,
                ReceiveMaximum = receiveMaximum,
            });

    private static Gen<byte[]> ClientPacket(ProtocolVersion version) => Gen.Frequency(
        (4, Publish(version)),
        (2, Subscribe(version)),
        (1, Unsubscribe(version)),
        (2, Gen.Select(Gen.OneOf(PacketType.PubAck, PacketType.PubRec, PacketType.PubRel, PacketType.PubComp), PacketId,
            (type, id) => Wire.Ack(type, id, ReasonCode.Success, version))),
        (1, Gen.Const(new byte[] { 0xC0, 0x00 })),
        (1, Gen.OneOf(ReasonCode.NormalDisconnection, ReasonCode.DisconnectWithWillMessage, ReasonCode.UnspecifiedError)
            .Select(code => Wire.Encode(new DisconnectPacket { ReasonCode = version == V5 ? code : ReasonCode.NormalDisconnection }, version))),
        (1, Gen.Const(version == V5
            ? Wire.Encode(new AuthPacket { ReasonCode = ReasonCode.ReAuthenticate, Properties = new MqttProperties { AuthenticationMethod = Wire.Text("SCRAM-SHA-256") } })
            : Wire.Encode(Wire.Connect("again", version)))));

    private static Gen<byte[]> Publish(ProtocolVersion version) =>
        Gen.Select(Topic, Gen.Int[0, 2], Gen.Bool, Payload, PacketId, Gen.UShort[0, 6], Gen.OneOf<uint?>(null, 0u, 1u, 3600u),
            (topic, qos, retain, payload, id, alias, expiry) => Wire.Encode(new PublishPacket
            {
                Topic = Wire.Text(topic),
                Payload = new ReadOnlySequence<byte>(payload),
                QoS = (QualityOfService)qos,
                Retain = retain,
                PacketId = qos == 0 ? (ushort)0 : id,
                Properties = version == V5
                    ? new MqttProperties { TopicAlias = alias == 0 ? null : alias, MessageExpiryInterval = expiry }
                    : default,
            }, version));

    private static Gen<byte[]> Subscribe(ProtocolVersion version) =>
        Gen.Select(Gen.Select(Filter, Gen.Int[0, 2], Gen.Bool, Gen.Int[0, 2]).Array[1, 3], PacketId, Gen.Int[0, 3],
            (filters, id, subscriptionIdentifier) => Wire.Encode(new SubscribePacket
            {
                PacketId = id,
                Subscriptions = SubscriptionList.Create(filters.Select(f => new Subscription(Wire.Text(f.Item1), (QualityOfService)f.Item2,
                    version == V5 && f.Item3, false, version == V5 ? (RetainHandling)f.Item4 : RetainHandling.SendOnSubscribe)).ToArray()),
                Properties = version == V5 && subscriptionIdentifier != 0
                    ? new MqttProperties { SubscriptionIdentifiers = SubscriptionIdentifiers.Create(subscriptionIdentifier) }
                    : default,
            }, version));

    private static Gen<byte[]> Unsubscribe(ProtocolVersion version) =>
        Gen.Select(Filter.Array[1, 2], PacketId, (filters, id) =>
            Wire.Encode(new UnsubscribePacket { PacketId = id, TopicFilters = TopicFilterList.Create(filters) }, version));

    /// <summary>A third of the sessions as generated, the rest with one to four bytes replaced, inserted, removed or bit-flipped.</summary>
    private static Gen<byte[]> Mutated(Gen<byte[]> sessions) =>
        Gen.Select(sessions, Gen.Select(Gen.Int[0, 3], Gen.Int[0, int.MaxValue], Gen.Byte).Array[1, 4], Gen.Int[0, 2], (bytes, edits, keep) =>
        {
            if (keep == 0)
            {
                return bytes;
            }
            var mutated = new List<byte>(bytes);
            foreach ((int kind, int at, byte value) in edits)
            {
                int index = at % mutated.Count;
                switch (kind)
                {
                    case 0: mutated[index] = value; break;
                    case 1: mutated.Insert(index, value); break;
                    case 2 when mutated.Count > 1: mutated.RemoveAt(index); break;
                    default: mutated[index] ^= (byte)(1 << (value & 7)); break;
                }
            }
            return mutated.ToArray();
        });
}
