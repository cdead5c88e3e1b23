namespace Mqtt.Codec;

/// <summary>MQTT 5 property identifiers (section 2.2.2.2).</summary>
public enum PropertyId : byte
{
    /// <summary>Byte: 0 unspecified bytes, 1 UTF-8 payload. PUBLISH, Will.</summary>
    PayloadFormatIndicator = 0x01,
    /// <summary>Four Byte Integer, seconds. PUBLISH, Will.</summary>
    MessageExpiryInterval = 0x02,
    /// <summary>UTF-8 string. PUBLISH, Will.</summary>
    ContentType = 0x03,
    /// <summary>UTF-8 string (a Topic Name). PUBLISH, Will.</summary>
    ResponseTopic = 0x08,
    /// <summary>Binary Data. PUBLISH, Will.</summary>
    CorrelationData = 0x09,
    /// <summary>Variable Byte Integer 1..268,435,455. PUBLISH, SUBSCRIBE.</summary>
    SubscriptionIdentifier = 0x0B,
    /// <summary>Four Byte Integer, seconds. CONNECT, CONNACK, DISCONNECT.</summary>
    SessionExpiryInterval = 0x11,
    /// <summary>UTF-8 string. CONNACK.</summary>
    AssignedClientIdentifier = 0x12,
    /// <summary>Two Byte Integer, seconds. CONNACK.</summary>
    ServerKeepAlive = 0x13,
    /// <summary>UTF-8 string. CONNECT, CONNACK, AUTH.</summary>
    AuthenticationMethod = 0x15,
    /// <summary>Binary Data. CONNECT, CONNACK, AUTH.</summary>
    AuthenticationData = 0x16,
    /// <summary>Byte 0 or 1. CONNECT.</summary>
    RequestProblemInformation = 0x17,
    /// <summary>Four Byte Integer, seconds. Will.</summary>
    WillDelayInterval = 0x18,
    /// <summary>Byte 0 or 1. CONNECT.</summary>
    RequestResponseInformation = 0x19,
    /// <summary>UTF-8 string. CONNACK.</summary>
    ResponseInformation = 0x1A,
    /// <summary>UTF-8 string. CONNACK, DISCONNECT.</summary>
    ServerReference = 0x1C,
    /// <summary>UTF-8 string. CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH.</summary>
    ReasonString = 0x1F,
    /// <summary>Two Byte Integer, not 0. CONNECT, CONNACK.</summary>
    ReceiveMaximum = 0x21,
    /// <summary>Two Byte Integer. CONNECT, CONNACK.</summary>
    TopicAliasMaximum = 0x22,
    /// <summary>Two Byte Integer, not 0. PUBLISH.</summary>
    TopicAlias = 0x23,
    /// <summary>Byte 0 or 1. CONNACK.</summary>
    MaximumQoS = 0x24,
    /// <summary>Byte 0 or 1. CONNACK.</summary>
    RetainAvailable = 0x25,
    /// <summary>UTF-8 String Pair; may repeat. Every packet with properties, and Will.</summary>
    UserProperty = 0x26,
    /// <summary>Four Byte Integer, not 0. CONNECT, CONNACK.</summary>
    MaximumPacketSize = 0x27,
    /// <summary>Byte 0 or 1. CONNACK.</summary>
    WildcardSubscriptionAvailable = 0x28,
    /// <summary>Byte 0 or 1. CONNACK.</summary>
    SubscriptionIdentifierAvailable = 0x29,
    /// <summary>Byte 0 or 1. CONNACK.</summary>
    SharedSubscriptionAvailable = 0x2A,
}
