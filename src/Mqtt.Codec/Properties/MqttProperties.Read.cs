using System.Runtime.CompilerServices;

namespace Mqtt.Codec;

public partial struct MqttProperties
{
    /// <summary>
    /// Reads Property Length and the properties of one block. Unknown identifiers and properties not allowed
    /// in <paramref name="scope"/> are malformed; a repeated property or a value out of its range is a Protocol Error.
    /// </summary>
    internal static MqttProperties Read(ref BodyReader r, PropertyScope scope)
    {
        MqttProperties p = default;
        Read(ref r, scope, ref p);
        return p;
    }

    /// <summary>As <see cref="Read(ref BodyReader, PropertyScope)"/>, into <paramref name="p"/>, which is empty on entry.</summary>
    internal static void Read(ref BodyReader r, PropertyScope scope, ref MqttProperties p)
    {
        long lengthOffset = r.Offset;
        int length = r.ReadVariableByteInteger();
        if (r.Failed || length == 0)
        {
            return;
        }
        if (length > r.Remaining)
        {
            r.Fail(ReasonCode.MalformedPacket, lengthOffset, "Property Length runs past the end of the packet");
            return;
        }
        ReadBlock(ref r, scope, ref p, length);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ReadBlock(ref BodyReader r, PropertyScope scope, ref MqttProperties p, int length)
    {
        int blockStart = r.Consumed;
        long end = r.Offset + length;
        ulong seen = 0;
        while (!r.Failed && r.Offset < end)
        {
            long entryStart = r.Offset;
            var id = (PropertyId)r.ReadByte();
            if (!PropertyTable.IsAllowed(id, scope))
            {
                r.Fail(ReasonCode.MalformedPacket, entryStart, "property identifier is unknown or not allowed in this packet");
                break;
            }
            if (!PropertyTable.MayRepeat(id, scope))
            {
                ulong bit = Bit(id);
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
        }
        if (!r.Failed && (p._blockStringLength | p._blockUserCount | p._blockSubscriptionIdCount) != 0)
        {
            // Only what is found again later needs the block; numbers and flags are already in fields.
            p._block = r.SliceAt(blockStart, length);
        }
    }

    /// <summary>Reads one value; a value out of its range is reported at <paramref name="entryStart"/>, the property's identifier.</summary>
    private void ReadValue(ref BodyReader r, PropertyId id, long entryStart)
    {
        switch (id)
        {
            case PropertyId.PayloadFormatIndicator:
                _payloadFormatIndicator = ReadBoolean(ref r, entryStart) ? (byte)1 : (byte)0;
                _present |= Bit(id);
                break;
            case PropertyId.MessageExpiryInterval:
                _messageExpiryInterval = ReadFourBytes(ref r, id);
                break;
            case PropertyId.ResponseTopic:
                int responseTopicLength = r.SkipString(checkWildcards: true, out bool hasWildcard);
                if (!r.Failed && hasWildcard)
                {
                    r.Fail(ReasonCode.MalformedPacket, entryStart, "[MQTT-3.3.2-14] Response Topic holds a wildcard");
                }
                else if (!r.Failed && responseTopicLength == 0)
                {
                    // It is the Topic Name of the response, and a Topic Name is at least one character long.
                    r.Fail(ReasonCode.ProtocolError, entryStart, "[MQTT-4.7.3-1] Response Topic is empty");
                }
                AddBlockString(ref r, id, entryStart);
                break;
            case PropertyId.ContentType or PropertyId.AssignedClientIdentifier or PropertyId.AuthenticationMethod
                or PropertyId.ResponseInformation or PropertyId.ServerReference or PropertyId.ReasonString:
                r.SkipString(checkWildcards: false, out _);
                AddBlockString(ref r, id, entryStart);
                break;
            case PropertyId.CorrelationData or PropertyId.AuthenticationData:
                r.SkipBinary();
                AddBlockString(ref r, id, entryStart);
                break;
            case PropertyId.SubscriptionIdentifier:
                if (r.ReadVariableByteInteger() == 0 && !r.Failed)
                {
                    r.Fail(ReasonCode.ProtocolError, entryStart, "Subscription Identifier is 0");
                }
                _blockSubscriptionIdCount++;
                _blockSubscriptionIdLength += (int)(r.Offset - entryStart);
                break;
            case PropertyId.SessionExpiryInterval:
                _sessionExpiryInterval = ReadFourBytes(ref r, id);
                break;
            case PropertyId.ServerKeepAlive:
                _serverKeepAlive = ReadTwoBytes(ref r, id);
                break;
            case PropertyId.WillDelayInterval:
                _willDelayInterval = ReadFourBytes(ref r, id);
                break;
            case PropertyId.ReceiveMaximum:
                _receiveMaximum = ReadNonZero(ref r, id, entryStart, "Receive Maximum is 0");
                break;
            case PropertyId.TopicAliasMaximum:
                _topicAliasMaximum = ReadTwoBytes(ref r, id);
                break;
            case PropertyId.TopicAlias:
                // 0x94 as Mosquitto, EMQX and HiveMQ answer it: an alias no receiver can hold, like one above its maximum.
                _topicAlias = ReadNonZero(ref r, id, entryStart, "[MQTT-3.3.2-8] Topic Alias is 0", ReasonCode.TopicAliasInvalid);
                break;
            case PropertyId.MaximumQoS:
                _maximumQoS = ReadBoolean(ref r, entryStart) ? (byte)1 : (byte)0;
                _present |= Bit(id);
                break;
            case PropertyId.UserProperty:
                r.SkipString(checkWildcards: false, out _);
                r.SkipString(checkWildcards: false, out _);
                _blockUserCount++;
                _blockUserLength += (int)(r.Offset - entryStart);
                break;
            case PropertyId.MaximumPacketSize:
                _maximumPacketSize = ReadFourBytes(ref r, id);
                if (_maximumPacketSize == 0 && !r.Failed)
                {
                    r.Fail(ReasonCode.ProtocolError, entryStart, "Maximum Packet Size is 0");
                }
                break;
            default:
                // RequestProblemInformation, RequestResponseInformation, RetainAvailable, WildcardSubscriptionAvailable,
                // SubscriptionIdentifierAvailable, SharedSubscriptionAvailable: the 0-or-1 properties.
                SetFlag(id, ReadBoolean(ref r, entryStart));
                break;
        }
    }

    private void AddBlockString(ref BodyReader r, PropertyId id, long entryStart)
    {
        _present |= Bit(id);
        _blockStringLength += (int)(r.Offset - entryStart);
    }

    private uint ReadFourBytes(ref BodyReader r, PropertyId id)
    {
        _present |= Bit(id);
        return r.ReadUInt32();
    }

    private ushort ReadTwoBytes(ref BodyReader r, PropertyId id)
    {
        _present |= Bit(id);
        return r.ReadUInt16();
    }

    /// <summary>The byte properties are 0 or 1; any other value is a Protocol Error.</summary>
    private static bool ReadBoolean(ref BodyReader r, long entryStart)
    {
        byte value = r.ReadByte();
        if (value > 1)
        {
            r.Fail(ReasonCode.ProtocolError, entryStart, "a 0-or-1 property has another value");
        }
        return value == 1;
    }

    private ushort ReadNonZero(ref BodyReader r, PropertyId id, long entryStart, string message, ReasonCode refusal = ReasonCode.ProtocolError)
    {
        ushort value = ReadTwoBytes(ref r, id);
        if (value == 0 && !r.Failed)
        {
            r.Fail(refusal, entryStart, message);
        }
        return value;
    }
}
