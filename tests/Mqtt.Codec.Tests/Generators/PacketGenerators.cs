using System.Buffers;
using CsCheck;

namespace Mqtt.Codec.Tests;

/// <summary>
/// Generators of valid packets of every type at each protocol version where the type exists. 3.1.1 packets
/// have no properties and no MQTT 5-only fields (subscription options, reason codes), so that what is
/// written is what must be read back.
/// </summary>
public static class PacketGenerators
{
    public static readonly PacketType[] AllTypes =
    [
        PacketType.Connect, PacketType.ConnAck, PacketType.Publish, PacketType.PubAck, PacketType.PubRec, PacketType.PubRel,
        PacketType.PubComp, PacketType.Subscribe, PacketType.SubAck, PacketType.Unsubscribe, PacketType.UnsubAck,
        PacketType.PingReq, PacketType.PingResp, PacketType.Disconnect, PacketType.Auth,
    ];

    public static readonly ProtocolVersion[] Versions = [ProtocolVersion.V311, ProtocolVersion.V500];

    /// <summary>AUTH is the only packet type 3.1.1 does not have.</summary>
    public static bool Exists(PacketType type, ProtocolVersion version) => type != PacketType.Auth || version == ProtocolVersion.V500;

    /// <summary>Every (type, version) pair that exists: 29 of them.</summary>
    public static IEnumerable<(PacketType Type, ProtocolVersion Version)> AllKinds()
    {
        foreach (PacketType type in AllTypes)
        {
            foreach (ProtocolVersion version in Versions)
            {
                if (Exists(type, version))
                {
                    yield return (type, version);
                }
            }
        }
    }

    /// <summary>A non-zero Packet Identifier [MQTT-2.2.1-3], small ones and the edges more often.</summary>
    public static readonly Gen<ushort> PacketId = Gen.OneOf(Gen.UShort[1, 10], Gen.UShort[1, ushort.MaxValue], Gen.OneOf<ushort>(255, 256, ushort.MaxValue));

    /// <summary>A valid packet of any type and a version it exists in.</summary>
    public static readonly Gen<(AnyPacket Packet, ProtocolVersion Version)> Any = Gen.OneOf(
        AllKinds().Select(static kind => For(kind.Type, kind.Version).Select(p => (p, kind.Version))).ToArray());

    public static Gen<AnyPacket> For(PacketType type, ProtocolVersion version)
    {
        bool v5 = version == ProtocolVersion.V500;
        return type switch
        {
            PacketType.Connect => Connect(version),
            PacketType.ConnAck => Gen.Select(Gen.Bool, Code(v5 ? SpecReasonCodes.ConnAck : SpecReasonCodes.ConnAckV311), Properties(v5, PropertyBlock.ConnAck),
                static (session, code, p) => AnyPacket.Of(new ConnAckPacket { SessionPresent = session, ReasonCode = code, Properties = p })),
            PacketType.Publish => Publish(version),
            PacketType.PubAck => Response(version, SpecReasonCodes.PubAckOrPubRec, PropertyBlock.PubAck,
                static (id, code, p) => AnyPacket.Of(new PubAckPacket { PacketId = id, ReasonCode = code, Properties = p })),
            PacketType.PubRec => Response(version, SpecReasonCodes.PubAckOrPubRec, PropertyBlock.PubRec,
                static (id, code, p) => AnyPacket.Of(new PubRecPacket { PacketId = id, ReasonCode = code, Properties = p })),
            PacketType.PubRel => Response(version, SpecReasonCodes.PubRelOrPubComp, PropertyBlock.PubRel,
                static (id, code, p) => AnyPacket.Of(new PubRelPacket { PacketId = id, ReasonCode = code, Properties = p })),
            PacketType.PubComp => Response(version, SpecReasonCodes.PubRelOrPubComp, PropertyBlock.PubComp,
                static (id, code, p) => AnyPacket.Of(new PubCompPacket { PacketId = id, ReasonCode = code, Properties = p })),
            PacketType.Subscribe => Subscribe(version),
            PacketType.SubAck => Gen.Select(PacketId, Properties(v5, PropertyBlock.SubAck),
                Gen.OneOf(v5 ? SpecReasonCodes.SubAck : SpecReasonCodes.SubAckV311).Array[1, 5],
                static (id, p, codes) => AnyPacket.Of(new SubAckPacket { PacketId = id, Properties = p, ReasonCodes = new ReadOnlySequence<byte>(codes) })),
            PacketType.Unsubscribe => Gen.Select(PacketId, Properties(v5, PropertyBlock.Unsubscribe), FieldGenerators.TopicFilterText.Array[1, 4],
                static (id, p, filters) => AnyPacket.Of(new UnsubscribePacket { PacketId = id, Properties = p, TopicFilters = TopicFilterList.Create(filters) })),
            PacketType.UnsubAck => v5
                ? Gen.Select(PacketId, Properties(true, PropertyBlock.UnsubAck), Gen.OneOf(SpecReasonCodes.UnsubAck).Array[1, 5],
                    static (id, p, codes) => AnyPacket.Of(new UnsubAckPacket { PacketId = id, Properties = p, ReasonCodes = new ReadOnlySequence<byte>(codes) }))
                : PacketId.Select(static id => AnyPacket.Of(new UnsubAckPacket { PacketId = id })),
            PacketType.PingReq => Gen.Const(() => AnyPacket.Of(new PingReqPacket())),
            PacketType.PingResp => Gen.Const(() => AnyPacket.Of(new PingRespPacket())),
            PacketType.Disconnect => v5
                ? Gen.Select(Code(SpecReasonCodes.Disconnect), Properties(true, PropertyBlock.Disconnect),
                    static (code, p) => AnyPacket.Of(new DisconnectPacket { ReasonCode = code, Properties = p }))
                : Gen.Const(() => AnyPacket.Of(new DisconnectPacket())),
            PacketType.Auth when v5 => Gen.Select(Code(SpecReasonCodes.Auth), Properties(true, PropertyBlock.Auth),
                static (code, p) =>
                {
                    // Only the empty Success AUTH may leave out the Authentication Method (3.15.2.1, 3.15.2.2.2).
                    if (p.AuthenticationMethod is null && new AuthPacket { ReasonCode = code, Properties = p }.GetSize() > 2)
                    {
                        p.AuthenticationMethod = MqttUtf8.Encode("SCRAM-SHA-256");
                    }
                    return AnyPacket.Of(new AuthPacket { ReasonCode = code, Properties = p });
                }),
            _ => throw new ArgumentOutOfRangeException(nameof(type), $"{type} does not exist in {version}"),
        };
    }

    private static Gen<ReasonCode> Code(byte[] codes) => Gen.OneOf(codes).Select(static c => (ReasonCode)c);

    private static Gen<MqttProperties> Properties(bool v5, PropertyBlock block) =>
        v5 ? PropertyGenerators.For(block) : Gen.Const(default(MqttProperties));

    private static Gen<AnyPacket> Response(ProtocolVersion version, byte[] codes, PropertyBlock block, Func<ushort, ReasonCode, MqttProperties, AnyPacket> create)
    {
        if (version == ProtocolVersion.V311)
        {
            return PacketId.Select(id => create(id, ReasonCode.Success, default));
        }
        // Success without properties is the short two-byte form; make it common enough to be covered well.
        Gen<ReasonCode> code = Gen.Frequency((1, Gen.Const(ReasonCode.Success)), (2, Code(codes)));
        return Gen.Select(PacketId, code, PropertyGenerators.For(block), create);
    }

    private static Gen<AnyPacket> Connect(ProtocolVersion version)
    {
        bool v5 = version == ProtocolVersion.V500;
        Gen<WillMessage?> will = Gen.Frequency(
            (1, Gen.Const((WillMessage?)null)),
            (1, Gen.Select(FieldGenerators.TopicName, FieldGenerators.Binary(0, 30), Gen.Int[0, 2], Gen.Bool, Properties(v5, PropertyBlock.Will),
                static (topic, payload, qos, retain, p) => (WillMessage?)new WillMessage
                {
                    Topic = topic,
                    Payload = payload,
                    QoS = (QualityOfService)qos,
                    Retain = retain,
                    Properties = p,
                })));
        Gen<ReadOnlySequence<byte>?> userName = FieldGenerators.Utf8(0, 10).Nullable(0.4);
        Gen<ReadOnlySequence<byte>?> password = FieldGenerators.Binary(0, 16).Nullable(0.4);
        return Gen.Select(Gen.Bool, Gen.UShort, FieldGenerators.Utf8(0, 23), Properties(v5, PropertyBlock.Connect), will, userName, password,
            (clean, keepAlive, clientId, p, w, user, pass) => AnyPacket.Of(new ConnectPacket
            {
                Version = version,
                CleanStart = clean,
                KeepAlive = keepAlive,
                ClientId = clientId,
                Properties = p,
                Will = w,
                UserName = user,
                // [MQTT-3.1.2-22] in 3.1.1 a Password needs a User Name.
                Password = v5 || user is not null ? pass : null,
            }));
    }

    private static Gen<AnyPacket> Publish(ProtocolVersion version)
    {
        bool v5 = version == ProtocolVersion.V500;
        // In MQTT 5 an empty Topic Name is allowed when a Topic Alias stands for it (3.3.2.3.4).
        Gen<ReadOnlySequence<byte>> topic = v5
            ? Gen.Frequency((9, FieldGenerators.TopicName), (1, Gen.Const(ReadOnlySequence<byte>.Empty)))
            : FieldGenerators.TopicName;
        // Mostly small payloads, some past 127 bytes so the Remaining Length takes two bytes.
        Gen<ReadOnlySequence<byte>> payload = Gen.Frequency((6, FieldGenerators.Binary(0, 40)), (1, FieldGenerators.Binary(100, 300)));
        Gen<(int QoS, bool Dup, ushort Id)> delivery = Gen.Select(Gen.Int[0, 2], Gen.Bool, PacketId,
            // [MQTT-3.3.1-2] DUP is 0 at QoS 0; [MQTT-2.2.1-2] no Packet Identifier at QoS 0.
            static (qos, dup, id) => qos == 0 ? (0, false, (ushort)0) : (qos, dup, id));
        return Gen.Select(topic, payload, delivery, Gen.Bool, Properties(v5, PropertyBlock.Publish),
            static (t, body, d, retain, p) =>
            {
                if (t.IsEmpty && p.TopicAlias is null)
                {
                    p.TopicAlias = 1;
                }
                return AnyPacket.Of(new PublishPacket
                {
                    Topic = t,
                    Payload = body,
                    QoS = (QualityOfService)d.QoS,
                    Duplicate = d.Dup,
                    PacketId = d.Id,
                    Retain = retain,
                    Properties = p,
                });
            });
    }

    private static Gen<AnyPacket> Subscribe(ProtocolVersion version)
    {
        bool v5 = version == ProtocolVersion.V500;
        Gen<Subscription> subscription = Gen.Select(FieldGenerators.TopicFilterText, Gen.Int[0, 2], Gen.Bool, Gen.Bool, Gen.Int[0, 2],
            (filter, qos, noLocal, rap, rh) => v5
                ? new Subscription(MqttUtf8.Encode(filter), (QualityOfService)qos,
                    // [MQTT-3.8.3-4] No Local on a Shared Subscription is a Protocol Error.
                    noLocal && !filter.StartsWith("$share/", StringComparison.Ordinal), rap, (RetainHandling)rh)
                : new Subscription(MqttUtf8.Encode(filter), (QualityOfService)qos));
        return Gen.Select(PacketId, Properties(v5, PropertyBlock.Subscribe), subscription.Array[1, 4],
            static (id, p, subs) => AnyPacket.Of(new SubscribePacket { PacketId = id, Properties = p, Subscriptions = SubscriptionList.Create(subs) }));
    }
}
