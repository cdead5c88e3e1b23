using System.Buffers;

namespace Mqtt.Codec;

/// <summary>
/// The properties of an MQTT 5 packet (section 2.2.2). A property that was not sent is null; strings and
/// binary data are slices of the packet. Which properties a packet may carry is checked on reading.
/// </summary>
public partial struct MqttProperties
{
    /// <summary>0: the payload is unspecified bytes; 1: it is UTF-8 (PUBLISH, Will).</summary>
    public byte? PayloadFormatIndicator { get; set; }

    /// <summary>Lifetime of the message in seconds (PUBLISH, Will).</summary>
    public uint? MessageExpiryInterval { get; set; }

    /// <summary>MIME-like description of the payload (PUBLISH, Will).</summary>
    public ReadOnlySequence<byte>? ContentType { get; set; }

    /// <summary>Topic Name for a response (PUBLISH, Will).</summary>
    public ReadOnlySequence<byte>? ResponseTopic { get; set; }

    /// <summary>Correlation Data for request/response (PUBLISH, Will).</summary>
    public ReadOnlySequence<byte>? CorrelationData { get; set; }

    /// <summary>Subscription Identifiers (PUBLISH from the server, SUBSCRIBE).</summary>
    public SubscriptionIdentifiers SubscriptionIdentifiers { get; set; }

    /// <summary>Session Expiry Interval in seconds (CONNECT, CONNACK, DISCONNECT).</summary>
    public uint? SessionExpiryInterval { get; set; }

    /// <summary>The Client Identifier the server assigned (CONNACK).</summary>
    public ReadOnlySequence<byte>? AssignedClientIdentifier { get; set; }

    /// <summary>Keep Alive the server imposes, in seconds (CONNACK).</summary>
    public ushort? ServerKeepAlive { get; set; }

    /// <summary>Name of the enhanced authentication method (CONNECT, CONNACK, AUTH).</summary>
    public ReadOnlySequence<byte>? AuthenticationMethod { get; set; }

    /// <summary>Method-specific authentication data (CONNECT, CONNACK, AUTH).</summary>
    public ReadOnlySequence<byte>? AuthenticationData { get; set; }

    /// <summary>Whether the server may send Reason Strings and User Properties on failures (CONNECT).</summary>
    public bool? RequestProblemInformation { get; set; }

    /// <summary>Delay before the Will is published, in seconds (Will).</summary>
    public uint? WillDelayInterval { get; set; }

    /// <summary>Whether the client asks for Response Information (CONNECT).</summary>
    public bool? RequestResponseInformation { get; set; }

    /// <summary>Basis for response topics (CONNACK).</summary>
    public ReadOnlySequence<byte>? ResponseInformation { get; set; }

    /// <summary>Another server to use (CONNACK, DISCONNECT).</summary>
    public ReadOnlySequence<byte>? ServerReference { get; set; }

    /// <summary>Human-readable diagnostic (acknowledgements, DISCONNECT, AUTH).</summary>
    public ReadOnlySequence<byte>? ReasonString { get; set; }

    /// <summary>How many QoS 1 and 2 publications the sender accepts at once (CONNECT, CONNACK).</summary>
    public ushort? ReceiveMaximum { get; set; }

    /// <summary>Highest Topic Alias the sender accepts (CONNECT, CONNACK).</summary>
    public ushort? TopicAliasMaximum { get; set; }

    /// <summary>Topic Alias standing for the Topic Name (PUBLISH).</summary>
    public ushort? TopicAlias { get; set; }

    /// <summary>Highest QoS the server supports, 0 or 1 when sent (CONNACK).</summary>
    public QualityOfService? MaximumQoS { get; set; }

    /// <summary>Whether the server supports retained messages (CONNACK).</summary>
    public bool? RetainAvailable { get; set; }

    /// <summary>User Properties, in order.</summary>
    public UserProperties UserProperties { get; set; }

    /// <summary>Largest packet the sender accepts (CONNECT, CONNACK).</summary>
    public uint? MaximumPacketSize { get; set; }

    /// <summary>Whether the server supports wildcard subscriptions (CONNACK).</summary>
    public bool? WildcardSubscriptionAvailable { get; set; }

    /// <summary>Whether the server supports Subscription Identifiers (CONNACK).</summary>
    public bool? SubscriptionIdentifierAvailable { get; set; }

    /// <summary>Whether the server supports Shared Subscriptions (CONNACK).</summary>
    public bool? SharedSubscriptionAvailable { get; set; }
}
