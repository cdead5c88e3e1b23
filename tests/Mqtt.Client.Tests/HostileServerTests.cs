using System.Buffers;
using CsCheck;
using Mqtt.Codec;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>
/// Generated server streams over TCP (a CONNACK, then up to ten packets), sent as they are or with a few bytes replaced,
/// inserted, removed or bit-flipped, while the client subscribes and publishes at QoS 1 and 2. Whatever arrives, the
/// client ends in bounded time with the exception type and reason code that <see cref="ExpectedClientReaction"/> works
/// out from the same bytes, delivers exactly the messages the stream holds up to that point, reports the CONNACK and
/// the acknowledgements as received, writes only packets our codec reads (within the server's limits, answering only
/// what the server sent, nothing after its DISCONNECT), and leaves no unobserved task exception.
/// </summary>
[Collection("Process-wide")]
public sealed class HostileServerTests : IDisposable
{
    /// <summary>Streams per protocol level; <c>MQTTCORE_CLIENT_FUZZ_ITERATIONS</c> raises it for a longer run.</summary>
    private static readonly long Iterations =
        long.TryParse(Environment.GetEnvironmentVariable("MQTTCORE_CLIENT_FUZZ_ITERATIONS"), out long n) ? n : 300;

    private const int ClientMaximumPacketSize = 128;
    private const ushort ClientTopicAliasMaximum = 4;
    // With manual acknowledgement the test acknowledges nothing, so the server's QoS 1 and 2 messages pile up to this.
    private const ushort ManualReceiveMaximum = 3;
    private const long AllocationBound = 64L << 20;

    private static readonly ReadOnlyMemory<byte> OwnPayload = "hello"u8.ToArray();

    private readonly UnobservedClientExceptions _unobserved = new();

    public void Dispose() => _unobserved.Dispose();

    [Fact]
    public Task Generated_mqtt5_server_streams_mutated_or_not_end_in_the_expected_error_and_only_well_formed_client_packets() =>
        RunAsync(ProtocolVersion.V500);

    [Fact]
    public Task Generated_mqtt311_server_streams_mutated_or_not_end_in_the_expected_error_and_only_well_formed_client_packets() =>
        RunAsync(ProtocolVersion.V311);

    private static Task RunAsync(ProtocolVersion version) =>
        Gen.Select(Mutated(Script(version)), Gen.Int[0, 3], Gen.Bool, PingRespPadding, (script, ending, manual, padding) => script with
        {
            Stream = [.. script.Head.Span, .. padding, .. script.Tail.Span],
            // Now and then the server closes outright instead of half-closing, which may reset what the client has not read yet.
            CloseAbruptly = ending == 0,
            ManualAcknowledgement = manual,
        }).SampleAsync(script => RunOneAsync(version, script), iter: Iterations);

    /// <summary>
    /// Now and then about 16 KB of PINGRESP after the CONNACK: the client's pipe reads into 16 KiB segments, so the
    /// packets behind them straddle a segment boundary and are decoded from more than one segment.
    /// </summary>
    private static readonly Gen<byte[]> PingRespPadding =
        Gen.Frequency((3, Gen.Const(0)), (1, Gen.Int[8000, 8192])).Select(count => Enumerable.Repeat<byte[]>([0xD0, 0x00], count).SelectMany(p => p).ToArray());

    private static async Task RunOneAsync(ProtocolVersion version, ServerScript script)
    {
        long allocatedBefore = GC.GetTotalAllocatedBytes();
        var limits = new ClientLimits(ClientMaximumPacketSize, version == ProtocolVersion.V500 ? ClientTopicAliasMaximum : (ushort)0,
            script.ManualAcknowledgement ? ManualReceiveMaximum : ushort.MaxValue);
        // The SUBSCRIBE goes out only when nothing after the CONNACK can be read before it is made: its SUBACK is then
        // judged against it (a SUBACK that reached the client first would answer nothing).
        bool subscribes = script.HeadIsOnePacket(limits.MaximumPacketSize);
        ExpectedClientReaction expected = ExpectedClientReaction.Of(script.Stream, version, limits, subscribes);
        var run = new ClientReactionChecks(version, script, expected, limits);

        await using var server = new FakeServer();
        MqttClientOptions options = Options(server.Port, version);
        options.MaximumPacketSize = limits.MaximumPacketSize;
        options.TopicAliasMaximum = limits.TopicAliasMaximum;
        options.ReceiveMaximum = limits.ReceiveMaximum;
        options.AutomaticAcknowledgement = !script.ManualAcknowledgement;
        await using var client = new MqttClient(options);
        var disconnected = new TaskCompletionSource<MqttDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Disconnected += (_, e) => disconnected.TrySetResult(e);

        Task<MqttConnectResult> connecting = client.ConnectAsync();
        await using FakeConnection connection = await server.AcceptAsync();
        OwnedPacket connect = await connection.ExpectAsync(PacketType.Connect);
        Task<byte[]> clientBytes = connection.ReadToEndAsync();
        await connection.TrySendAsync(script.Head);
        if (script.HeadEndsHandshake(limits.MaximumPacketSize))
        {
            await FailureOf(connecting, "connecting");
        }
        // Requests in flight while the rest of the stream plays: Packet Identifiers 1, 2 and 3, as the generated acknowledgements use.
        Task<MqttSubscribeResult>? subscribing = null;
        Task<MqttPublishResult>? publishingAtLeastOnce = null, publishingExactlyOnce = null;
        Task<(List<MqttApplicationMessage>, Exception?)>? receiving = null;
        var allReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (connecting.IsCompletedSuccessfully)
        {
            // Reading while the stream plays, so that automatic acknowledgements go out.
            receiving = ReceiveAllAsync(client, expected.Messages.Count, allReceived);
            subscribing = subscribes ? client.SubscribeAsync("a/#", QualityOfService.ExactlyOnce) : null;
            publishingAtLeastOnce = client.PublishAsync("a/b", OwnPayload, QualityOfService.AtLeastOnce).AsTask();
            publishingExactlyOnce = client.PublishAsync("a/c", OwnPayload, QualityOfService.ExactlyOnce).AsTask();
        }
        await connection.TrySendAsync(script.Tail);
        if (receiving is not null && expected.End == ExpectedEnd.Closed)
        {
            // A stream the client reads to the end: its acknowledgements go out before the server leaves.
            await Task.WhenAny(allReceived.Task, receiving).WaitAsync(Patience);
        }
        if (script.CloseAbruptly)
        {
            connection.Close();
        }
        else
        {
            connection.ShutdownSend();
        }

        run.CheckConnect(await FailureOf(connecting, "connecting"), connecting.IsCompletedSuccessfully ? connecting.Result : null);
        if (connecting.IsCompletedSuccessfully)
        {
            run.CheckDisconnected(await disconnected.Task.WaitAsync(Patience));
            Assert.False(client.IsConnected);
            // The queue keeps what arrived, for a reader that comes late.
            (List<MqttApplicationMessage> messages, Exception? end) = await (receiving ?? ReceiveAllAsync(client, 0, allReceived)).WaitAsync(Patience);
            run.CheckMessages(messages, end);
        }
        if (subscribing is not null)
        {
            run.CheckSubscribe(subscribing, await FailureOf(subscribing, "subscribing"));
        }
        if (publishingAtLeastOnce is not null)
        {
            run.CheckPublish(publishingAtLeastOnce!, await FailureOf(publishingAtLeastOnce!, "publishing at QoS 1"), QualityOfService.AtLeastOnce);
            run.CheckPublish(publishingExactlyOnce!, await FailureOf(publishingExactlyOnce!, "publishing at QoS 2"), QualityOfService.ExactlyOnce);
        }
        await client.DisposeAsync().AsTask().WaitAsync(Patience);
        run.CheckClientPackets(connect, await clientBytes.WaitAsync(Patience), client.ConnectResult);
        long allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
        Assert.True(allocated < AllocationBound, $"{allocated:N0} bytes allocated for one stream: {script}");
    }

    /// <summary>The exception a task ended with, or null; a task still running after <see cref="TestClients.Patience"/> is a hang.</summary>
    private static async Task<Exception?> FailureOf(Task task, string what)
    {
        try
        {
            await task.WaitAsync(Patience);
            return null;
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new TimeoutException($"{what} did not end within {Patience.TotalSeconds} s");
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>Every message until the client stops, then what it stopped with; <paramref name="reached"/> once <paramref name="count"/> arrived.</summary>
    private static async Task<(List<MqttApplicationMessage>, Exception?)> ReceiveAllAsync(MqttClient client, int count, TaskCompletionSource reached)
    {
        var messages = new List<MqttApplicationMessage>();
        try
        {
            if (count == 0)
            {
                reached.TrySetResult();
            }
            await foreach (MqttApplicationMessage message in client.ReadMessagesAsync())
            {
                messages.Add(message);
                if (messages.Count == count)
                {
                    reached.TrySetResult();
                }
            }
            return (messages, null);
        }
        catch (MqttException e)
        {
            return (messages, e);
        }
    }

    // ---- generators ----

    // Mostly well-formed packets, so that many streams run their whole length; now and then a field the specification forbids.
    private static readonly Gen<string> Topic = Gen.Frequency((10, Gen.OneOf("a/b", "a/c", "x", "$SYS/s")), (1, Gen.OneOf("", "a/+")));

    private static readonly Gen<ushort> PacketId = Gen.Frequency((12, Gen.UShort[1, 4]), (1, Gen.Const((ushort)0)));

    private static readonly Gen<ushort> TopicAlias = Gen.Frequency((6, Gen.Const((ushort)0)), (4, Gen.UShort[1, ClientTopicAliasMaximum]),
        (1, Gen.UShort[ClientTopicAliasMaximum + 1, ClientTopicAliasMaximum + 2]));

    // Now and then around the client's Maximum Packet Size, so that some PUBLISHes are over it.
    private static readonly Gen<byte[]> Payload = Gen.Frequency(
        (9, Gen.Byte.Array[0, 40]),
        (1, Gen.Byte.Array[ClientMaximumPacketSize - 12, ClientMaximumPacketSize + 4]));

    /// <summary>A CONNACK, then up to ten server packets; the CONNACK is the head the server writes first.</summary>
    private static Gen<ServerScript> Script(ProtocolVersion version) =>
        Gen.Select(ConnAck(version), ServerPacket(version).Array[0, 10],
            (connAck, packets) => new ServerScript([.. connAck, .. packets.SelectMany(p => p)], connAck.Length));

    private static Gen<byte[]> ConnAck(ProtocolVersion version) =>
        Gen.Select(
            Gen.Frequency((8, Gen.Const(ReasonCode.Success)),
                (1, Gen.OneOf(ReasonCode.UnspecifiedError, ReasonCode.NotAuthorized, ReasonCode.ServerUnavailable, ReasonCode.BadUserNameOrPassword))),
            Gen.Frequency((9, Gen.Const(false)), (1, Gen.Const(true))),
            version == ProtocolVersion.V500 ? ServerLimits : Gen.Const(default(MqttProperties)),
            (reasonCode, sessionPresent, properties) =>
                Encode(new ConnAckPacket { ReasonCode = reasonCode, SessionPresent = sessionPresent, Properties = properties }, version));

    /// <summary>What an MQTT 5 CONNACK tells the client, including values the specification forbids (Receive Maximum 0, Maximum QoS 2).</summary>
    private static readonly Gen<MqttProperties> ServerLimits =
        Gen.Select(Gen.OneOf<ushort?>(null, 0, 1, 4),
            Gen.Frequency((20, Gen.OneOf<ushort?>(null, 1, 2, 10)), (1, Gen.Const<ushort?>(0))),
            Gen.Frequency((20, Gen.OneOf<uint?>(null, 14, 20, 1000)), (1, Gen.Const<uint?>(0))),
            Gen.Frequency((20, Gen.OneOf<QualityOfService?>(null, QualityOfService.AtMostOnce, QualityOfService.AtLeastOnce)),
                (1, Gen.Const<QualityOfService?>(QualityOfService.ExactlyOnce))),
            Gen.OneOf<string?>(null, "", "assigned"), Gen.OneOf<ushort?>(null, 0, 30, ushort.MaxValue), Gen.OneOf<bool?>(null, false, true),
            (topicAliasMaximum, receiveMaximum, maximumPacketSize, maximumQoS, assigned, keepAlive, retainAvailable) => new MqttProperties
            {
                TopicAliasMaximum = topicAliasMaximum,
                ReceiveMaximum = receiveMaximum,
                MaximumPacketSize = maximumPacketSize,
                MaximumQoS = maximumQoS,
                AssignedClientIdentifier = assigned is null ? null : MqttUtf8.Encode(assigned),
                ServerKeepAlive = keepAlive,
                RetainAvailable = retainAvailable,
            });

    private static Gen<byte[]> ServerPacket(ProtocolVersion version) => Gen.Frequency(
        (12, Publish(version)),
        (10, Acknowledgement(version)),
        (3, SubAck(version)),
        (2, UnsubAck(version)),
        (2, Gen.Const(new byte[] { 0xD0, 0x00 })),
        (1, Gen.OneOf(ReasonCode.Success, ReasonCode.ContinueAuthentication, ReasonCode.ReAuthenticate).Select(code =>
            Encode(new AuthPacket { ReasonCode = code, Properties = new MqttProperties { AuthenticationMethod = MqttUtf8.Encode("SCRAM-SHA-256") } }, version))),
        (1, Gen.OneOf(ReasonCode.NormalDisconnection, ReasonCode.ServerShuttingDown, ReasonCode.ProtocolError, ReasonCode.DisconnectWithWillMessage)
            .Select(code => Encode(new DisconnectPacket { ReasonCode = code }, version))),
        // A second CONNACK, and a packet only a client sends.
        (1, Gen.OneOf(Encode(new ConnAckPacket(), version), [0xC0, 0x00])));

    private static Gen<byte[]> Publish(ProtocolVersion version) =>
        Gen.Select(Topic, Gen.Int[0, 2], PacketId, TopicAlias, Payload, Gen.Bool, Gen.Frequency((9, Gen.Const(false)), (1, Gen.Const(true))),
            MessageProperties,
            (topic, qos, id, alias, payload, retain, duplicate, properties) => Encode(new PublishPacket
            {
                Topic = MqttUtf8.Encode(topic),
                Payload = new ReadOnlySequence<byte>(payload),
                QoS = (QualityOfService)qos,
                PacketId = qos == 0 ? (ushort)0 : id,
                Retain = retain,
                Duplicate = duplicate,
                Properties = version == ProtocolVersion.V500 ? properties with { TopicAlias = alias == 0 ? null : alias } : default,
            }, version));

    /// <summary>The MQTT 5 properties a server may forward with a message, each absent more often than not.</summary>
    private static readonly Gen<MqttProperties> MessageProperties =
        Gen.Select(Gen.OneOf<uint?>(null, null, 0u, 60u), Gen.OneOf<byte?>(null, null, 0, 1), Gen.OneOf<string?>(null, null, "text/plain"),
            Gen.OneOf<string?>(null, null, "reply/to"), Gen.OneOf<byte[]?>(null, null, [1, 2, 3]), Gen.Int[0, 2], Gen.Int[0, 2],
            (expiry, format, contentType, responseTopic, correlation, userProperties, subscriptionIdentifiers) => new MqttProperties
            {
                MessageExpiryInterval = expiry,
                PayloadFormatIndicator = format,
                ContentType = contentType is null ? null : MqttUtf8.Encode(contentType),
                ResponseTopic = responseTopic is null ? null : MqttUtf8.Encode(responseTopic),
                CorrelationData = correlation is null ? null : new ReadOnlySequence<byte>(correlation),
                UserProperties = UserProperties.Create([.. Enumerable.Range(0, userProperties).Select(i => ($"k{i}", $"v{i}"))]),
                SubscriptionIdentifiers = SubscriptionIdentifiers.Create([.. Enumerable.Range(1, subscriptionIdentifiers)]),
            });

    private static Gen<byte[]> Acknowledgement(ProtocolVersion version) =>
        Gen.Select(Gen.OneOf(PacketType.PubAck, PacketType.PubRec, PacketType.PubRel, PacketType.PubComp), PacketId,
            Gen.Frequency((6, Gen.Const(ReasonCode.Success)),
                (1, Gen.OneOf(ReasonCode.NoMatchingSubscribers, ReasonCode.UnspecifiedError, ReasonCode.NotAuthorized, ReasonCode.PacketIdentifierNotFound))),
            (type, id, code) =>
            {
                code = version == ProtocolVersion.V500 ? code : ReasonCode.Success;
                return type switch
                {
                    PacketType.PubAck => Encode(new PubAckPacket { PacketId = id, ReasonCode = code }, version),
                    PacketType.PubRec => Encode(new PubRecPacket { PacketId = id, ReasonCode = code }, version),
                    PacketType.PubRel => Encode(new PubRelPacket { PacketId = id, ReasonCode = code }, version),
                    _ => Encode(new PubCompPacket { PacketId = id, ReasonCode = code }, version),
                };
            });

    private static Gen<byte[]> SubAck(ProtocolVersion version) =>
        Gen.Select(PacketId, Gen.OneOf<byte>(0x00, 0x01, 0x02, 0x80, 0x87).Array[1, 3],
            (id, codes) => Encode(new SubAckPacket { PacketId = id, ReasonCodes = new ReadOnlySequence<byte>(codes) }, version));

    private static Gen<byte[]> UnsubAck(ProtocolVersion version) =>
        Gen.Select(PacketId, Gen.OneOf<byte>(0x00, 0x11, 0x87).Array[1, 2],
            (id, codes) => Encode(new UnsubAckPacket { PacketId = id, ReasonCodes = new ReadOnlySequence<byte>(codes) }, version));

    /// <summary>A third of the scripts as generated, the rest with one to four bytes replaced, inserted, removed or bit-flipped.</summary>
    private static Gen<ServerScript> Mutated(Gen<ServerScript> scripts) =>
        Gen.Select(scripts, Gen.Select(Gen.Int[0, 3], Gen.Int[0, int.MaxValue], Gen.Byte).Array[1, 4], Gen.Int[0, 2], (script, edits, keep) =>
        {
            if (keep == 0)
            {
                return script;
            }
            var bytes = new List<byte>(script.Stream);
            int headLength = script.HeadLength;
            foreach ((int kind, int at, byte value) in edits)
            {
                int index = at % bytes.Count;
                switch (kind)
                {
                    case 0:
                        bytes[index] = value;
                        break;
                    case 1:
                        bytes.Insert(index, value);
                        headLength += index < headLength ? 1 : 0;
                        break;
                    case 2 when bytes.Count > 1:
                        bytes.RemoveAt(index);
                        headLength -= index < headLength ? 1 : 0;
                        break;
                    default:
                        bytes[index] ^= (byte)(1 << (value & 7));
                        break;
                }
            }
            return script with { Stream = bytes.ToArray(), HeadLength = headLength };
        });

    private static byte[] Encode<TPacket>(TPacket packet, ProtocolVersion version)
        where TPacket : struct, IMqttPacket
    {
        var buffer = new ArrayBufferWriter<byte>();
        packet.Write(buffer, version);
        return buffer.WrittenSpan.ToArray();
    }
}
