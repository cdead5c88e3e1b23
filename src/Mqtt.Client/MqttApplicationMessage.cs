using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>
/// An Application Message: what is published and what arrives. The fields marked "received" are set by the
/// client on incoming messages and ignored when publishing.
/// </summary>
public sealed class MqttApplicationMessage
{
    /// <summary>Topic Name.</summary>
    public required string Topic { get; init; }

    /// <summary>The payload.</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>QoS of this delivery.</summary>
    public QualityOfService QoS { get; init; }

    /// <summary>RETAIN flag.</summary>
    public bool Retain { get; init; }

    /// <summary>Received: the DUP flag, set when the server re-delivers an earlier attempt.</summary>
    public bool Duplicate { get; init; }

    /// <summary>Received: the Packet Identifier (0 for QoS 0).</summary>
    public ushort PacketId { get; init; }

    /// <summary>MQTT 5 Payload Format Indicator: true when the payload is UTF-8 text.</summary>
    public bool? PayloadIsUtf8 { get; init; }

    /// <summary>MQTT 5 Message Expiry Interval in seconds.</summary>
    public uint? MessageExpiryInterval { get; init; }

    /// <summary>MQTT 5 Content Type.</summary>
    public string? ContentType { get; init; }

    /// <summary>MQTT 5 Response Topic.</summary>
    public string? ResponseTopic { get; init; }

    /// <summary>MQTT 5 Correlation Data.</summary>
    public ReadOnlyMemory<byte>? CorrelationData { get; init; }

    /// <summary>MQTT 5 User Properties.</summary>
    public IReadOnlyList<MqttUserProperty> UserProperties { get; init; } = [];

    /// <summary>Received: the Subscription Identifiers of the matching subscriptions.</summary>
    public IReadOnlyList<int> SubscriptionIdentifiers { get; init; } = [];

    /// <summary>Received: the connection it arrived on, so a late manual acknowledgement is not sent on a newer one.</summary>
    internal long ConnectionNumber { get; init; }

    /// <summary>Received: whether the acknowledgement was sent.</summary>
    internal int Acknowledged;

    /// <summary>Received at QoS 2: what the client keeps of it until the server's PUBREL.</summary>
    internal ExactlyOnceReceipt? Receipt;

    /// <summary>True when the message carries any MQTT 5 property besides the topic.</summary>
    internal bool HasProperties => PayloadIsUtf8.HasValue || MessageExpiryInterval.HasValue || ContentType is not null
        || ResponseTopic is not null || CorrelationData.HasValue || UserProperties.Count > 0;
}
