namespace Mqtt.Codec.Tests;

/// <summary>Where a property block sits: a packet type, or the Will Properties of CONNECT.</summary>
public enum PropertyBlock
{
    Connect,
    Will,
    ConnAck,
    Publish,
    PubAck,
    PubRec,
    PubRel,
    PubComp,
    Subscribe,
    SubAck,
    Unsubscribe,
    UnsubAck,
    Disconnect,
    Auth,
}

/// <summary>
/// Table 2-4 of MQTT 5.0 written out again on the test side, independently of the codec's own table, so
/// that a mistake in either shows up as a disagreement.
/// </summary>
public static class AllowedProperties
{
    public static readonly PropertyId[] All =
    [
        PropertyId.PayloadFormatIndicator, PropertyId.MessageExpiryInterval, PropertyId.ContentType, PropertyId.ResponseTopic,
        PropertyId.CorrelationData, PropertyId.SubscriptionIdentifier, PropertyId.SessionExpiryInterval,
        PropertyId.AssignedClientIdentifier, PropertyId.ServerKeepAlive, PropertyId.AuthenticationMethod,
        PropertyId.AuthenticationData, PropertyId.RequestProblemInformation, PropertyId.WillDelayInterval,
        PropertyId.RequestResponseInformation, PropertyId.ResponseInformation, PropertyId.ServerReference,
        PropertyId.ReasonString, PropertyId.ReceiveMaximum, PropertyId.TopicAliasMaximum, PropertyId.TopicAlias,
        PropertyId.MaximumQoS, PropertyId.RetainAvailable, PropertyId.UserProperty, PropertyId.MaximumPacketSize,
        PropertyId.WildcardSubscriptionAvailable, PropertyId.SubscriptionIdentifierAvailable, PropertyId.SharedSubscriptionAvailable,
    ];

    public static PropertyId[] In(PropertyBlock block) => block switch
    {
        PropertyBlock.Connect =>
        [
            PropertyId.SessionExpiryInterval, PropertyId.AuthenticationMethod, PropertyId.AuthenticationData,
            PropertyId.RequestProblemInformation, PropertyId.RequestResponseInformation, PropertyId.ReceiveMaximum,
            PropertyId.TopicAliasMaximum, PropertyId.UserProperty, PropertyId.MaximumPacketSize,
        ],
        PropertyBlock.Will =>
        [
            PropertyId.PayloadFormatIndicator, PropertyId.MessageExpiryInterval, PropertyId.ContentType, PropertyId.ResponseTopic,
            PropertyId.CorrelationData, PropertyId.WillDelayInterval, PropertyId.UserProperty,
        ],
        PropertyBlock.ConnAck =>
        [
            PropertyId.SessionExpiryInterval, PropertyId.AssignedClientIdentifier, PropertyId.ServerKeepAlive,
            PropertyId.AuthenticationMethod, PropertyId.AuthenticationData, PropertyId.ResponseInformation,
            PropertyId.ServerReference, PropertyId.ReasonString, PropertyId.ReceiveMaximum, PropertyId.TopicAliasMaximum,
            PropertyId.MaximumQoS, PropertyId.RetainAvailable, PropertyId.UserProperty, PropertyId.MaximumPacketSize,
            PropertyId.WildcardSubscriptionAvailable, PropertyId.SubscriptionIdentifierAvailable, PropertyId.SharedSubscriptionAvailable,
        ],
        PropertyBlock.Publish =>
        [
            PropertyId.PayloadFormatIndicator, PropertyId.MessageExpiryInterval, PropertyId.ContentType, PropertyId.ResponseTopic,
            PropertyId.CorrelationData, PropertyId.SubscriptionIdentifier, PropertyId.TopicAlias, PropertyId.UserProperty,
        ],
        PropertyBlock.PubAck or PropertyBlock.PubRec or PropertyBlock.PubRel or PropertyBlock.PubComp
            or PropertyBlock.SubAck or PropertyBlock.UnsubAck => [PropertyId.ReasonString, PropertyId.UserProperty],
        PropertyBlock.Subscribe => [PropertyId.SubscriptionIdentifier, PropertyId.UserProperty],
        PropertyBlock.Unsubscribe => [PropertyId.UserProperty],
        PropertyBlock.Disconnect =>
            [PropertyId.SessionExpiryInterval, PropertyId.ServerReference, PropertyId.ReasonString, PropertyId.UserProperty],
        PropertyBlock.Auth =>
            [PropertyId.AuthenticationMethod, PropertyId.AuthenticationData, PropertyId.ReasonString, PropertyId.UserProperty],
        _ => throw new ArgumentOutOfRangeException(nameof(block)),
    };
}
