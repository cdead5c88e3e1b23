using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>What the server said in its CONNACK (section 3.2): the Connect Reason Code and the server's limits.</summary>
public sealed class MqttConnectResult
{
    /// <summary>Connect Reason Code (a 3.1.1 return code is mapped to the MQTT 5 code of the same meaning).</summary>
    public ReasonCode ReasonCode { get; init; }

    /// <summary>Session Present: the server resumed a session it kept for this Client Identifier.</summary>
    public bool SessionPresent { get; init; }

    /// <summary>The Client Identifier in use: the one sent, or the server's Assigned Client Identifier.</summary>
    public string ClientId { get; init; } = "";

    /// <summary>MQTT 5 Reason String.</summary>
    public string? ReasonString { get; init; }

    /// <summary>MQTT 5 Assigned Client Identifier, when the client sent an empty one.</summary>
    public string? AssignedClientIdentifier { get; init; }

    /// <summary>MQTT 5 Server Keep Alive in seconds, overriding the client's.</summary>
    public ushort? ServerKeepAlive { get; init; }

    /// <summary>MQTT 5 Session Expiry Interval the server uses, when it differs from the requested one.</summary>
    public uint? SessionExpiryInterval { get; init; }

    /// <summary>How many QoS 1 and 2 publications the server accepts at once (65,535 when not sent).</summary>
    public ushort ReceiveMaximum { get; init; } = ushort.MaxValue;

    /// <summary>Highest QoS the server supports.</summary>
    public QualityOfService MaximumQoS { get; init; } = QualityOfService.ExactlyOnce;

    /// <summary>Whether the server accepts retained messages.</summary>
    public bool RetainAvailable { get; init; } = true;

    /// <summary>Largest packet the server accepts, when it set a limit.</summary>
    public uint? MaximumPacketSize { get; init; }

    /// <summary>Highest Topic Alias the server accepts from the client (0: none).</summary>
    public ushort TopicAliasMaximum { get; init; }

    /// <summary>Whether the server supports wildcard subscriptions.</summary>
    public bool WildcardSubscriptionAvailable { get; init; } = true;

    /// <summary>Whether the server supports Subscription Identifiers.</summary>
    public bool SubscriptionIdentifiersAvailable { get; init; } = true;

    /// <summary>Whether the server supports Shared Subscriptions.</summary>
    public bool SharedSubscriptionAvailable { get; init; } = true;

    /// <summary>MQTT 5 Response Information.</summary>
    public string? ResponseInformation { get; init; }

    /// <summary>MQTT 5 Server Reference (another server to use).</summary>
    public string? ServerReference { get; init; }

    /// <summary>MQTT 5 Authentication Method of an enhanced authentication.</summary>
    public string? AuthenticationMethod { get; init; }

    /// <summary>MQTT 5 Authentication Data of the CONNACK.</summary>
    public ReadOnlyMemory<byte>? AuthenticationData { get; init; }

    /// <summary>MQTT 5 User Properties.</summary>
    public IReadOnlyList<MqttUserProperty> UserProperties { get; init; } = [];
}
