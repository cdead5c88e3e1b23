using System.Buffers;

namespace Mqtt.Codec;

/// <summary>Table 2-4 of MQTT 5: each property's data type and the packets it may appear in.</summary>
internal static class PropertyTable
{
    private const PropertyScope Message = PropertyScope.Publish | PropertyScope.Will;
    private const PropertyScope Acks = PropertyScope.PubAck | PropertyScope.PubRec | PropertyScope.PubRel | PropertyScope.PubComp
        | PropertyScope.SubAck | PropertyScope.UnsubAck;

    // AllowedIn by identifier byte, for the read loop: one load instead of two switches per property.
    private static readonly PropertyScope[] s_allowedIn = BuildAllowedIn();

    public static PropertyScope ScopeOf(PacketType type) => (PropertyScope)(1 << (int)type);

    /// <summary>Is <paramref name="id"/> a known property that may appear in <paramref name="scope"/>?</summary>
    public static bool IsAllowed(PropertyId id, PropertyScope scope) => (s_allowedIn[(byte)id] & scope) != 0;

    public static PropertyDataType DataType(PropertyId id) => id switch
    {
        PropertyId.PayloadFormatIndicator or PropertyId.RequestProblemInformation or PropertyId.RequestResponseInformation
            or PropertyId.MaximumQoS or PropertyId.RetainAvailable or PropertyId.WildcardSubscriptionAvailable
            or PropertyId.SubscriptionIdentifierAvailable or PropertyId.SharedSubscriptionAvailable => PropertyDataType.Byte,
        PropertyId.ServerKeepAlive or PropertyId.ReceiveMaximum or PropertyId.TopicAliasMaximum or PropertyId.TopicAlias
            => PropertyDataType.TwoByteInteger,
        PropertyId.MessageExpiryInterval or PropertyId.SessionExpiryInterval or PropertyId.WillDelayInterval
            or PropertyId.MaximumPacketSize => PropertyDataType.FourByteInteger,
        PropertyId.SubscriptionIdentifier => PropertyDataType.VariableByteInteger,
        PropertyId.ContentType or PropertyId.ResponseTopic or PropertyId.AssignedClientIdentifier or PropertyId.AuthenticationMethod
            or PropertyId.ResponseInformation or PropertyId.ServerReference or PropertyId.ReasonString => PropertyDataType.Utf8String,
        PropertyId.CorrelationData or PropertyId.AuthenticationData => PropertyDataType.BinaryData,
        PropertyId.UserProperty => PropertyDataType.Utf8StringPair,
        _ => PropertyDataType.Unknown,
    };

    public static PropertyScope AllowedIn(PropertyId id) => id switch
    {
        PropertyId.PayloadFormatIndicator or PropertyId.MessageExpiryInterval or PropertyId.ContentType
            or PropertyId.ResponseTopic or PropertyId.CorrelationData => Message,
        PropertyId.SubscriptionIdentifier => PropertyScope.Publish | PropertyScope.Subscribe,
        PropertyId.SessionExpiryInterval => PropertyScope.Connect | PropertyScope.ConnAck | PropertyScope.Disconnect,
        PropertyId.AssignedClientIdentifier or PropertyId.ServerKeepAlive or PropertyId.ResponseInformation
            or PropertyId.MaximumQoS or PropertyId.RetainAvailable or PropertyId.WildcardSubscriptionAvailable
            or PropertyId.SubscriptionIdentifierAvailable or PropertyId.SharedSubscriptionAvailable => PropertyScope.ConnAck,
        PropertyId.AuthenticationMethod or PropertyId.AuthenticationData => PropertyScope.Connect | PropertyScope.ConnAck | PropertyScope.Auth,
        PropertyId.RequestProblemInformation or PropertyId.RequestResponseInformation => PropertyScope.Connect,
        PropertyId.WillDelayInterval => PropertyScope.Will,
        PropertyId.ServerReference => PropertyScope.ConnAck | PropertyScope.Disconnect,
        PropertyId.ReasonString => PropertyScope.ConnAck | Acks | PropertyScope.Disconnect | PropertyScope.Auth,
        PropertyId.ReceiveMaximum or PropertyId.TopicAliasMaximum or PropertyId.MaximumPacketSize => PropertyScope.Connect | PropertyScope.ConnAck,
        PropertyId.TopicAlias => PropertyScope.Publish,
        PropertyId.UserProperty => (PropertyScope)0xFFFF,
        _ => PropertyScope.None,
    };

    private static PropertyScope[] BuildAllowedIn()
    {
        var table = new PropertyScope[256];
        for (int id = 0; id < table.Length; id++)
        {
            // An unknown identifier is allowed nowhere.
            table[id] = DataType((PropertyId)id) == PropertyDataType.Unknown ? PropertyScope.None : AllowedIn((PropertyId)id);
        }
        return table;
    }

    /// <summary>May the property appear more than once in this block?</summary>
    public static bool MayRepeat(PropertyId id, PropertyScope scope) =>
        id == PropertyId.UserProperty || (id == PropertyId.SubscriptionIdentifier && scope == PropertyScope.Publish);

    /// <summary>Moves past one value of an already validated block.</summary>
    public static void SkipValue(ref SequenceReader<byte> reader, PropertyId id)
    {
        switch (DataType(id))
        {
            case PropertyDataType.Byte:
                reader.Advance(1);
                break;
            case PropertyDataType.TwoByteInteger:
                reader.Advance(2);
                break;
            case PropertyDataType.FourByteInteger:
                reader.Advance(4);
                break;
            case PropertyDataType.VariableByteInteger:
                VariableByteInteger.TryRead(ref reader, out _);
                break;
            case PropertyDataType.Utf8String or PropertyDataType.BinaryData:
                SkipPrefixed(ref reader);
                break;
            case PropertyDataType.Utf8StringPair:
                SkipPrefixed(ref reader);
                SkipPrefixed(ref reader);
                break;
        }
    }

    private static void SkipPrefixed(ref SequenceReader<byte> reader)
    {
        reader.TryReadBigEndian(out short length);
        reader.Advance((ushort)length);
    }
}
