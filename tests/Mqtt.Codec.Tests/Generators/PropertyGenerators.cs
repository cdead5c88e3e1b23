using System.Buffers;
using CsCheck;

namespace Mqtt.Codec.Tests;

/// <summary>
/// Generates MQTT 5 property blocks holding only properties allowed where the block sits, each with a
/// valid value, each present about a third of the time.
/// </summary>
public static class PropertyGenerators
{
    private delegate void Setter(ref MqttProperties properties);

    private static readonly Gen<uint> FourByte = Gen.OneOf(Gen.UInt[0, 300], Gen.UInt);
    private static readonly Gen<ushort> TwoByte = Gen.OneOf(Gen.UShort[0, 300], Gen.UShort);
    private static readonly Gen<ushort> TwoByteNonZero = Gen.OneOf(Gen.UShort[1, 300], Gen.UShort[1, ushort.MaxValue]);

    /// <summary>Properties allowed in <paramref name="block"/>.</summary>
    public static Gen<MqttProperties> For(PropertyBlock block)
    {
        Gen<Setter[]> setters = Gen.Const(Array.Empty<Setter>());
        foreach (PropertyId id in AllowedProperties.In(block))
        {
            Gen<Setter?> optional = Gen.Frequency((2, Gen.Const((Setter?)null)), (1, ValueOf(id, block).Select(static s => (Setter?)s)));
            setters = Gen.Select(setters, optional, static (list, s) => s is null ? list : [.. list, s]);
        }
        return setters.Select(list =>
        {
            var properties = new MqttProperties();
            foreach (Setter set in list)
            {
                set(ref properties);
            }
            // Authentication Data without an Authentication Method is a Protocol Error (3.1.2.11.10, 3.2.2.3.18).
            if (properties.AuthenticationData is not null && properties.AuthenticationMethod is null)
            {
                properties.AuthenticationMethod = MqttUtf8.Encode("SCRAM-SHA-256");
            }
            return properties;
        });
    }

    private static Gen<Setter> ValueOf(PropertyId id, PropertyBlock block) => id switch
    {
        PropertyId.PayloadFormatIndicator => Gen.Byte[0, 1].Select(static v => (Setter)((ref MqttProperties p) => p.PayloadFormatIndicator = v)),
        PropertyId.MessageExpiryInterval => FourByte.Select(static v => (Setter)((ref MqttProperties p) => p.MessageExpiryInterval = v)),
        PropertyId.ContentType => Utf8().Select(static v => (Setter)((ref MqttProperties p) => p.ContentType = v)),
        PropertyId.ResponseTopic => FieldGenerators.TopicName.Select(static v => (Setter)((ref MqttProperties p) => p.ResponseTopic = v)),
        PropertyId.CorrelationData => FieldGenerators.Binary().Select(static v => (Setter)((ref MqttProperties p) => p.CorrelationData = v)),
        PropertyId.SubscriptionIdentifier => FieldGenerators.VariableByteInteger(1)
            // One in SUBSCRIBE; a PUBLISH from the server carries one per matching subscription.
            .Array[1, block == PropertyBlock.Publish ? 3 : 1]
            .Select(static v => (Setter)((ref MqttProperties p) => p.SubscriptionIdentifiers = SubscriptionIdentifiers.Create(v))),
        PropertyId.SessionExpiryInterval => FourByte.Select(static v => (Setter)((ref MqttProperties p) => p.SessionExpiryInterval = v)),
        PropertyId.AssignedClientIdentifier => Utf8().Select(static v => (Setter)((ref MqttProperties p) => p.AssignedClientIdentifier = v)),
        PropertyId.ServerKeepAlive => TwoByte.Select(static v => (Setter)((ref MqttProperties p) => p.ServerKeepAlive = v)),
        PropertyId.AuthenticationMethod => Utf8(1).Select(static v => (Setter)((ref MqttProperties p) => p.AuthenticationMethod = v)),
        PropertyId.AuthenticationData => FieldGenerators.Binary().Select(static v => (Setter)((ref MqttProperties p) => p.AuthenticationData = v)),
        PropertyId.RequestProblemInformation => Gen.Bool.Select(static v => (Setter)((ref MqttProperties p) => p.RequestProblemInformation = v)),
        PropertyId.WillDelayInterval => FourByte.Select(static v => (Setter)((ref MqttProperties p) => p.WillDelayInterval = v)),
        PropertyId.RequestResponseInformation => Gen.Bool.Select(static v => (Setter)((ref MqttProperties p) => p.RequestResponseInformation = v)),
        PropertyId.ResponseInformation => Utf8().Select(static v => (Setter)((ref MqttProperties p) => p.ResponseInformation = v)),
        PropertyId.ServerReference => Utf8().Select(static v => (Setter)((ref MqttProperties p) => p.ServerReference = v)),
        PropertyId.ReasonString => Utf8().Select(static v => (Setter)((ref MqttProperties p) => p.ReasonString = v)),
        PropertyId.ReceiveMaximum => TwoByteNonZero.Select(static v => (Setter)((ref MqttProperties p) => p.ReceiveMaximum = v)),
        PropertyId.TopicAliasMaximum => TwoByte.Select(static v => (Setter)((ref MqttProperties p) => p.TopicAliasMaximum = v)),
        PropertyId.TopicAlias => TwoByteNonZero.Select(static v => (Setter)((ref MqttProperties p) => p.TopicAlias = v)),
        PropertyId.MaximumQoS => Gen.Int[0, 1].Select(static v => (Setter)((ref MqttProperties p) => p.MaximumQoS = (QualityOfService)v)),
        PropertyId.RetainAvailable => Gen.Bool.Select(static v => (Setter)((ref MqttProperties p) => p.RetainAvailable = v)),
        PropertyId.UserProperty => FieldGenerators.UserProperties.Select(static v => (Setter)((ref MqttProperties p) => p.UserProperties = v)),
        PropertyId.MaximumPacketSize => Gen.OneOf(Gen.UInt[1, 300], Gen.UInt[1, uint.MaxValue])
            .Select(static v => (Setter)((ref MqttProperties p) => p.MaximumPacketSize = v)),
        PropertyId.WildcardSubscriptionAvailable => Gen.Bool.Select(static v => (Setter)((ref MqttProperties p) => p.WildcardSubscriptionAvailable = v)),
        PropertyId.SubscriptionIdentifierAvailable => Gen.Bool.Select(static v => (Setter)((ref MqttProperties p) => p.SubscriptionIdentifierAvailable = v)),
        PropertyId.SharedSubscriptionAvailable => Gen.Bool.Select(static v => (Setter)((ref MqttProperties p) => p.SharedSubscriptionAvailable = v)),
        _ => throw new ArgumentOutOfRangeException(nameof(id)),
    };

    private static Gen<ReadOnlySequence<byte>> Utf8(int min = 0) => FieldGenerators.Utf8(min, 10);
}
