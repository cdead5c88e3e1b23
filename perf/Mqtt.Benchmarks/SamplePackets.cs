using System.Buffers;
using System.Text;
using Mqtt.Codec;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace Mqtt.Benchmarks;

/// <summary>
/// The packets every benchmark measures, built once in MqttCore's types and once in MQTTnet's with the same fields,
/// so both codecs encode the same content and decode the same bytes.
/// </summary>
public static class SamplePackets
{
    /// <summary>A 16-byte Topic Name.</summary>
    public const string Topic = "sensors/room/001";

    public const ushort PacketId = 42;

    public const string ContentType = "application/json";

    public const uint MessageExpiryInterval = 3600;

    private static readonly (string Name, string Value)[] s_userProperties = [("trace-id", "4bf92f3577b34da6"), ("source", "sensor-17")];

    public static byte[] Payload(int size)
    {
        var payload = new byte[size];
        new Random(size).NextBytes(payload);
        return payload;
    }

    public static PublishPacket OurPublish(QualityOfService qos, byte[] payload, bool withProperties) => new()
    {
        Topic = MqttUtf8.Encode(Topic),
        Payload = new ReadOnlySequence<byte>(payload),
        QoS = qos,
        PacketId = qos == QualityOfService.AtMostOnce ? (ushort)0 : PacketId,
        Properties = withProperties
            ? new MqttProperties
            {
                MessageExpiryInterval = MessageExpiryInterval,
                ContentType = MqttUtf8.Encode(ContentType),
                UserProperties = UserProperties.Create(s_userProperties),
            }
            : default,
    };

    public static MqttPublishPacket TheirPublish(QualityOfService qos, byte[] payload, bool withProperties)
    {
        var packet = new MqttPublishPacket
        {
            Topic = Topic,
            Payload = new ReadOnlySequence<byte>(payload),
            QualityOfServiceLevel = (MqttQualityOfServiceLevel)qos,
            PacketIdentifier = qos == QualityOfService.AtMostOnce ? (ushort)0 : PacketId,
        };
        if (withProperties)
        {
            packet.MessageExpiryInterval = MessageExpiryInterval;
            packet.ContentType = ContentType;
            packet.UserProperties = TheirUserProperties();
        }
        return packet;
    }

    public static PubAckPacket OurPubAck() => new() { PacketId = PacketId, ReasonCode = ReasonCode.Success };

    public static MqttPubAckPacket TheirPubAck() => new() { PacketIdentifier = PacketId, ReasonCode = MqttPubAckReasonCode.Success };

    public const string ClientId = "bench-client-001";

    public const string UserName = "alice";

    public const string AuthenticationMethod = "SCRAM-SHA-256";

    public const uint SessionExpiryInterval = 86_400;

    /// <summary>A SCRAM client-first-message (RFC 5802): "n,,n=alice,r=" and a 47-character nonce, 60 bytes.</summary>
    public static byte[] AuthenticationData { get; } = Encoding.ASCII.GetBytes("n,,n=alice,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j6T8xq");

    public static ConnectPacket OurConnect() => new()
    {
        Version = ProtocolVersion.V500,
        CleanStart = true,
        KeepAlive = 60,
        ClientId = MqttUtf8.Encode(ClientId),
        UserName = MqttUtf8.Encode(UserName),
        Properties = new MqttProperties
        {
            SessionExpiryInterval = SessionExpiryInterval,
            AuthenticationMethod = MqttUtf8.Encode(AuthenticationMethod),
            AuthenticationData = new ReadOnlySequence<byte>(AuthenticationData),
        },
    };

    public static MqttConnectPacket TheirConnect() => new()
    {
        CleanSession = true,
        KeepAlivePeriod = 60,
        ClientId = ClientId,
        Username = UserName,
        SessionExpiryInterval = SessionExpiryInterval,
        AuthenticationMethod = AuthenticationMethod,
        AuthenticationData = AuthenticationData,
        // MQTTnet writes Request Problem Information unless it is left at the spec's default of 1.
        RequestProblemInformation = true,
    };

    private static readonly (string Filter, QualityOfService QoS, bool NoLocal, bool RetainAsPublished, RetainHandling RetainHandling)[] s_filters =
    [
        ("sensors/+/temperature", QualityOfService.AtLeastOnce, false, false, RetainHandling.SendOnSubscribe),
        ("sensors/room/#", QualityOfService.AtMostOnce, true, false, RetainHandling.SendOnSubscribe),
        ("alerts/critical", QualityOfService.ExactlyOnce, false, true, RetainHandling.SendOnNewSubscription),
        ("$share/workers/jobs/+", QualityOfService.AtLeastOnce, false, false, RetainHandling.DoNotSend),
    ];

    public const ushort SubscribePacketId = 7;

    public static SubscribePacket OurSubscribe()
    {
        var subscriptions = new Subscription[s_filters.Length];
        for (int i = 0; i < s_filters.Length; i++)
        {
            var f = s_filters[i];
            subscriptions[i] = new Subscription(MqttUtf8.Encode(f.Filter), f.QoS, f.NoLocal, f.RetainAsPublished, f.RetainHandling);
        }
        return new SubscribePacket { PacketId = SubscribePacketId, Subscriptions = SubscriptionList.Create(subscriptions) };
    }

    public static MqttSubscribePacket TheirSubscribe()
    {
        var packet = new MqttSubscribePacket { PacketIdentifier = SubscribePacketId };
        foreach (var f in s_filters)
        {
            packet.TopicFilters.Add(new MqttTopicFilter
            {
                Topic = f.Filter,
                QualityOfServiceLevel = (MqttQualityOfServiceLevel)f.QoS,
                NoLocal = f.NoLocal,
                RetainAsPublished = f.RetainAsPublished,
                RetainHandling = (MqttRetainHandling)f.RetainHandling,
            });
        }
        return packet;
    }

    private static List<MqttUserProperty> TheirUserProperties()
    {
        var list = new List<MqttUserProperty>(s_userProperties.Length);
        foreach ((string name, string value) in s_userProperties)
        {
            list.Add(new MqttUserProperty(name, new ReadOnlyMemory<byte>(Encoding.UTF8.GetBytes(value))));
        }
        return list;
    }
}
