using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;

namespace Mqtt.Codec.Tests;

/// <summary>
/// What our decoder read, rendered in the schema of Captures/captures.json (see Captures/README.md), so
/// that it can be compared key by key with the independently decoded manifest.
/// </summary>
public static class ManifestView
{
    public static JsonObject Of(AnyPacket packet, ProtocolVersion version)
    {
        bool v5 = version == ProtocolVersion.V500;
        switch (packet)
        {
            case AnyPacket.Connect { Packet: var p }:
                var connect = new JsonObject
                {
                    // The reader refuses any other protocol name with 0x84 [MQTT-3.1.2-1]; reading succeeded.
                    ["protocolName"] = "MQTT",
                    ["protocolLevel"] = (int)p.Version,
                    ["keepAlive"] = p.KeepAlive,
                    ["cleanStart"] = p.CleanStart,
                };
                if (p.Version == ProtocolVersion.V500)
                {
                    connect["properties"] = Properties(p.Properties);
                }
                connect["clientId"] = Text(p.ClientId);
                if (p.Will is WillMessage will)
                {
                    var w = new JsonObject();
                    if (p.Version == ProtocolVersion.V500)
                    {
                        w["properties"] = Properties(will.Properties);
                    }
                    w["topic"] = Text(will.Topic);
                    w["payload"] = TextOrNull(will.Payload);
                    w["payloadLength"] = will.Payload.Length;
                    w["qos"] = (int)will.QoS;
                    w["retain"] = will.Retain;
                    connect["will"] = w;
                }
                else
                {
                    connect["will"] = null;
                }
                connect["userName"] = p.UserName is { } user ? Text(user) : null;
                connect["password"] = p.Password is { } password ? TextOrNull(password) : null;
                return connect;
            case AnyPacket.Publish { Packet: var p }:
                var publish = new JsonObject
                {
                    ["topic"] = Text(p.Topic),
                    ["qos"] = (int)p.QoS,
                    ["retain"] = p.Retain,
                    ["dup"] = p.Duplicate,
                    ["packetId"] = p.QoS == QualityOfService.AtMostOnce ? null : p.PacketId,
                };
                if (v5)
                {
                    publish["properties"] = Properties(p.Properties);
                }
                publish["payload"] = TextOrNull(p.Payload);
                publish["payloadLength"] = p.Payload.Length;
                return publish;
            case AnyPacket.PubRel { Packet: var p }:
                var pubRel = new JsonObject { ["packetId"] = p.PacketId };
                if (v5)
                {
                    pubRel["reasonCode"] = (int)p.ReasonCode;
                    pubRel["properties"] = Properties(p.Properties);
                }
                return pubRel;
            case AnyPacket.Subscribe { Packet: var p }:
                var subscribe = new JsonObject { ["packetId"] = p.PacketId };
                if (v5)
                {
                    subscribe["properties"] = Properties(p.Properties);
                }
                var subscriptions = new JsonArray();
                foreach (Subscription s in p.Subscriptions)
                {
                    subscriptions.Add(new JsonObject
                    {
                        ["filter"] = Text(s.TopicFilter),
                        ["qos"] = (int)s.MaximumQoS,
                        ["noLocal"] = s.NoLocal,
                        ["retainAsPublished"] = s.RetainAsPublished,
                        ["retainHandling"] = (int)s.RetainHandling,
                    });
                }
                subscribe["subscriptions"] = subscriptions;
                return subscribe;
            case AnyPacket.Unsubscribe { Packet: var p }:
                var unsubscribe = new JsonObject { ["packetId"] = p.PacketId };
                if (v5)
                {
                    unsubscribe["properties"] = Properties(p.Properties);
                }
                var filters = new JsonArray();
                foreach (ReadOnlySequence<byte> filter in p.TopicFilters)
                {
                    filters.Add(Text(filter));
                }
                unsubscribe["filters"] = filters;
                return unsubscribe;
            case AnyPacket.PingReq:
                return [];
            case AnyPacket.Disconnect { Packet: var p }:
                return v5 ? new JsonObject { ["reasonCode"] = (int)p.ReasonCode, ["properties"] = Properties(p.Properties) } : [];
            default:
                throw new NotSupportedException($"the manifest has no schema for {packet.Type}");
        }
    }

    /// <summary>The manifest's name for each packet type.</summary>
    public static string NameOf(PacketType type) => type switch
    {
        PacketType.ConnAck => "CONNACK",
        PacketType.PubAck => "PUBACK",
        PacketType.PubRec => "PUBREC",
        PacketType.PubRel => "PUBREL",
        PacketType.PubComp => "PUBCOMP",
        PacketType.SubAck => "SUBACK",
        PacketType.UnsubAck => "UNSUBACK",
        PacketType.PingReq => "PINGREQ",
        PacketType.PingResp => "PINGRESP",
        _ => type.ToString().ToUpperInvariant(),
    };

    /// <summary>Properties keyed by the spec's names; binary data as hex, 0-or-1 bytes as numbers.</summary>
    private static JsonObject Properties(in MqttProperties p)
    {
        var o = new JsonObject();
        Add(o, "Payload Format Indicator", p.PayloadFormatIndicator);
        Add(o, "Message Expiry Interval", p.MessageExpiryInterval);
        Add(o, "Content Type", p.ContentType, binary: false);
        Add(o, "Response Topic", p.ResponseTopic, binary: false);
        Add(o, "Correlation Data", p.CorrelationData, binary: true);
        var ids = new JsonArray();
        foreach (int id in p.SubscriptionIdentifiers)
        {
            ids.Add(id);
        }
        if (ids.Count == 1)
        {
            o["Subscription Identifier"] = ids[0]!.GetValue<int>();
        }
        else if (ids.Count > 1)
        {
            o["Subscription Identifier"] = ids;
        }
        Add(o, "Session Expiry Interval", p.SessionExpiryInterval);
        Add(o, "Assigned Client Identifier", p.AssignedClientIdentifier, binary: false);
        Add(o, "Server Keep Alive", p.ServerKeepAlive);
        Add(o, "Authentication Method", p.AuthenticationMethod, binary: false);
        Add(o, "Authentication Data", p.AuthenticationData, binary: true);
        Add(o, "Request Problem Information", Bit(p.RequestProblemInformation));
        Add(o, "Will Delay Interval", p.WillDelayInterval);
        Add(o, "Request Response Information", Bit(p.RequestResponseInformation));
        Add(o, "Response Information", p.ResponseInformation, binary: false);
        Add(o, "Server Reference", p.ServerReference, binary: false);
        Add(o, "Reason String", p.ReasonString, binary: false);
        Add(o, "Receive Maximum", p.ReceiveMaximum);
        Add(o, "Topic Alias Maximum", p.TopicAliasMaximum);
        Add(o, "Topic Alias", p.TopicAlias);
        Add(o, "Maximum QoS", p.MaximumQoS is { } q ? (uint)q : null);
        Add(o, "Retain Available", Bit(p.RetainAvailable));
        Add(o, "Maximum Packet Size", p.MaximumPacketSize);
        Add(o, "Wildcard Subscription Available", Bit(p.WildcardSubscriptionAvailable));
        Add(o, "Subscription Identifier Available", Bit(p.SubscriptionIdentifierAvailable));
        Add(o, "Shared Subscription Available", Bit(p.SharedSubscriptionAvailable));
        var pairs = new JsonArray();
        foreach (UserProperty pair in p.UserProperties)
        {
            pairs.Add(new JsonArray(Text(pair.Name), Text(pair.Value)));
        }
        if (pairs.Count > 0)
        {
            o["User Property"] = pairs;
        }
        return o;
    }

    private static uint? Bit(bool? value) => value is { } b ? (b ? 1u : 0u) : null;

    private static void Add(JsonObject o, string name, uint? value)
    {
        if (value is { } v)
        {
            o[name] = v;
        }
    }

    private static void Add(JsonObject o, string name, in ReadOnlySequence<byte>? value, bool binary)
    {
        if (value is { } v)
        {
            o[name] = binary ? Hex.Of(v) : Text(v);
        }
    }

    private static string Text(in ReadOnlySequence<byte> bytes) => MqttUtf8.GetString(bytes);

    /// <summary>As the manifest: the payload as text when it is UTF-8, null otherwise.</summary>
    private static string? TextOrNull(in ReadOnlySequence<byte> bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
