using System.Buffers;

namespace Mqtt.Codec;

public partial struct MqttProperties
{
    /// <summary>
    /// Reads Property Length and the properties of one block. Unknown identifiers and properties not allowed
    /// in <paramref name="scope"/> are malformed; a repeated property or a value out of its range is a Protocol Error.
    /// </summary>
    internal static MqttProperties Read(ref BodyReader r, PropertyScope scope)
    {
        long lengthOffset = r.Offset;
        int length = r.ReadVariableByteInteger();
        if (r.Failed || length == 0)
        {
            return default;
        }
        if (length > r.Remaining)
        {
            r.Fail(ReasonCode.MalformedPacket, lengthOffset, "Property Length runs past the end of the packet");
            return default;
        }
        var p = new MqttProperties();
        ReadOnlySequence<byte> block = r.PeekBytes(length);
        long end = r.Offset + length;
        ulong seen = 0;
        int userCount = 0, userLength = 0, subscriptionIdCount = 0, subscriptionIdLength = 0;
        while (!r.Failed && r.Offset < end)
        {
            long entryStart = r.Offset;
            var id = (PropertyId)r.ReadByte();
            if (PropertyTable.DataType(id) == PropertyDataType.Unknown || (PropertyTable.AllowedIn(id) & scope) == 0)
            {
                r.Fail(ReasonCode.MalformedPacket, entryStart, "property identifier is unknown or not allowed in this packet");
                break;
            }
            if (!PropertyTable.MayRepeat(id, scope))
            {
                ulong bit = 1UL << (int)id;
                if ((seen & bit) != 0)
                {
                    r.Fail(ReasonCode.ProtocolError, entryStart, "a property other than User Property appears twice");
                    break;
                }
                seen |= bit;
            }
            p.ReadValue(ref r, id, entryStart);
            if (r.Offset > end)
            {
                r.Fail(ReasonCode.MalformedPacket, entryStart, "property runs past Property Length");
            }
            if (id == PropertyId.UserProperty)
            {
                userCount++;
                userLength += (int)(r.Offset - entryStart);
            }
            else if (id == PropertyId.SubscriptionIdentifier)
            {
                subscriptionIdCount++;
                subscriptionIdLength += (int)(r.Offset - entryStart);
            }
        }
        if (userCount > 0)
        {
            p.UserProperties = new UserProperties(block, userCount, userLength);
        }
        if (subscriptionIdCount > 0)
        {
            p.SubscriptionIdentifiers = new SubscriptionIdentifiers(block, subscriptionIdCount, subscriptionIdLength);
        }
        return p;
    }

    /// <summary>Reads one value; a value out of its range is reported at <paramref name="entryStart"/>, the property's identifier.</summary>
    private void ReadValue(ref BodyReader r, PropertyId id, long entryStart)
    {
        switch (id)
        {
            case PropertyId.PayloadFormatIndicator:
                PayloadFormatIndicator = ReadBoolean(ref r, entryStart) is bool utf8 ? (byte)(utf8 ? 1 : 0) : null;
                break;
            case PropertyId.MessageExpiryInterval:
                MessageExpiryInterval = r.ReadUInt32();
                break;
            case PropertyId.ContentType:
                ContentType = r.ReadString();
                break;
            case PropertyId.ResponseTopic:
                ResponseTopic = r.ReadString();
                if (!r.Failed && !MqttTopic.IsValidTopicName(ResponseTopic.GetValueOrDefault()))
                {
                    r.Fail(ReasonCode.MalformedPacket, entryStart, "[MQTT-3.3.2-14] Response Topic holds a wildcard");
                }
                break;
            case PropertyId.CorrelationData:
                CorrelationData = r.ReadBinary();
                break;
            case PropertyId.SubscriptionIdentifier:
                if (r.ReadVariableByteInteger() == 0 && !r.Failed)
                {
                    r.Fail(ReasonCode.ProtocolError, entryStart, "Subscription Identifier is 0");
                }
                break;
            case PropertyId.SessionExpiryInterval:
                SessionExpiryInterval = r.ReadUInt32();
                break;
            case PropertyId.AssignedClientIdentifier:
                AssignedClientIdentifier = r.ReadString();
                break;
            case PropertyId.ServerKeepAlive:
                ServerKeepAlive = r.ReadUInt16();
                break;
            case PropertyId.AuthenticationMethod:
                AuthenticationMethod = r.ReadString();
                break;
            case PropertyId.AuthenticationData:
                AuthenticationData = r.ReadBinary();
                break;
            case PropertyId.RequestProblemInformation:
                RequestProblemInformation = ReadBoolean(ref r, entryStart);
                break;
            case PropertyId.WillDelayInterval:
                WillDelayInterval = r.ReadUInt32();
                break;
            case PropertyId.RequestResponseInformation:
                RequestResponseInformation = ReadBoolean(ref r, entryStart);
                break;
            case PropertyId.ResponseInformation:
                ResponseInformation = r.ReadString();
                break;
            case PropertyId.ServerReference:
                ServerReference = r.ReadString();
                break;
            case PropertyId.ReasonString:
                ReasonString = r.ReadString();
                break;
            case PropertyId.ReceiveMaximum:
                ReceiveMaximum = ReadNonZero(ref r, entryStart, "Receive Maximum is 0");
                break;
            case PropertyId.TopicAliasMaximum:
                TopicAliasMaximum = r.ReadUInt16();
                break;
            case PropertyId.TopicAlias:
                TopicAlias = ReadNonZero(ref r, entryStart, "[MQTT-3.3.2-8] Topic Alias is 0");
                break;
            case PropertyId.MaximumQoS:
                MaximumQoS = ReadBoolean(ref r, entryStart) is bool qos1 ? (qos1 ? QualityOfService.AtLeastOnce : QualityOfService.AtMostOnce) : null;
                break;
            case PropertyId.RetainAvailable:
                RetainAvailable = ReadBoolean(ref r, entryStart);
                break;
            case PropertyId.UserProperty:
                r.ReadString();
                r.ReadString();
                break;
            case PropertyId.MaximumPacketSize:
                MaximumPacketSize = r.ReadUInt32();
                if (MaximumPacketSize == 0 && !r.Failed)
                {
                    r.Fail(ReasonCode.ProtocolError, entryStart, "Maximum Packet Size is 0");
                }
                break;
            case PropertyId.WildcardSubscriptionAvailable:
                WildcardSubscriptionAvailable = ReadBoolean(ref r, entryStart);
                break;
            case PropertyId.SubscriptionIdentifierAvailable:
                SubscriptionIdentifierAvailable = ReadBoolean(ref r, entryStart);
                break;
            case PropertyId.SharedSubscriptionAvailable:
                SharedSubscriptionAvailable = ReadBoolean(ref r, entryStart);
                break;
        }
    }

    /// <summary>The byte properties are 0 or 1; any other value is a Protocol Error.</summary>
    private static bool? ReadBoolean(ref BodyReader r, long entryStart)
    {
        byte value = r.ReadByte();
        if (value > 1)
        {
            r.Fail(ReasonCode.ProtocolError, entryStart, "a 0-or-1 property has another value");
            return null;
        }
        return value == 1;
    }

    private static ushort? ReadNonZero(ref BodyReader r, long entryStart, string message)
    {
        ushort value = r.ReadUInt16();
        if (value == 0 && !r.Failed)
        {
            r.Fail(ReasonCode.ProtocolError, entryStart, message);
        }
        return value;
    }
}
