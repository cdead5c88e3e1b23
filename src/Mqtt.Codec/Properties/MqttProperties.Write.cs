using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Mqtt.Codec;

public partial struct MqttProperties
{
    // Presence bits of the number and flag properties, by encoded size (identifier included).
    private const ulong ByteProperties = 1UL << (int)PropertyId.PayloadFormatIndicator | 1UL << (int)PropertyId.RequestProblemInformation
        | 1UL << (int)PropertyId.RequestResponseInformation | 1UL << (int)PropertyId.MaximumQoS | 1UL << (int)PropertyId.RetainAvailable
        | 1UL << (int)PropertyId.WildcardSubscriptionAvailable | 1UL << (int)PropertyId.SubscriptionIdentifierAvailable
        | 1UL << (int)PropertyId.SharedSubscriptionAvailable;

    private const ulong TwoByteProperties = 1UL << (int)PropertyId.ServerKeepAlive | 1UL << (int)PropertyId.ReceiveMaximum
        | 1UL << (int)PropertyId.TopicAliasMaximum | 1UL << (int)PropertyId.TopicAlias;

    private const ulong FourByteProperties = 1UL << (int)PropertyId.MessageExpiryInterval | 1UL << (int)PropertyId.SessionExpiryInterval
        | 1UL << (int)PropertyId.WillDelayInterval | 1UL << (int)PropertyId.MaximumPacketSize;

    private const ulong BytesProperties = 1UL << (int)PropertyId.ContentType | 1UL << (int)PropertyId.ResponseTopic
        | 1UL << (int)PropertyId.CorrelationData | 1UL << (int)PropertyId.AssignedClientIdentifier | 1UL << (int)PropertyId.AuthenticationMethod
        | 1UL << (int)PropertyId.AuthenticationData | 1UL << (int)PropertyId.ResponseInformation | 1UL << (int)PropertyId.ServerReference
        | 1UL << (int)PropertyId.ReasonString;

    /// <summary>True when the property has a value (for a repeatable one: at least one).</summary>
    internal readonly bool Contains(PropertyId id) => id switch
    {
        PropertyId.UserProperty => UserProperties.Count > 0,
        PropertyId.SubscriptionIdentifier => SubscriptionIdentifiers.Count > 0,
        _ when (Bit(id) & BytesProperties) != 0 => (SetInCode & Bit(id)) != 0 ? (_nodes!.ValueIds & Bit(id)) != 0 : Has(id),
        _ => Has(id),
    };

    /// <summary>True when no property has a value.</summary>
    internal readonly bool IsEmpty => (_present | (uint)_blockUserCount | (uint)_blockSubscriptionIdCount) == 0 && _nodes is null;

    /// <summary>Size of the block without its Property Length prefix.</summary>
    internal readonly int GetLength() => IsEmpty ? 0 : GetNonEmptyLength();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly int GetNonEmptyLength()
    {
        int length = 2 * BitOperations.PopCount(_present & ByteProperties)
            + 3 * BitOperations.PopCount(_present & TwoByteProperties)
            + 5 * BitOperations.PopCount(_present & FourByteProperties)
            + (Has(PropertyId.SubscriptionIdentifier) ? _subscriptionIdentifiers.EncodedLength : _blockSubscriptionIdLength);
        if (_nodes is null)
        {
            return length + _blockStringLength + _blockUserLength;
        }
        // The values set in code, then the block's values they do not shadow.
        ulong set = _nodes.SetIds;
        length += _nodes.ValuesLength;
        if ((set & Bit(PropertyId.UserProperty)) == 0)
        {
            length += _blockUserLength;
        }
        ulong fromBlock = _present & BytesProperties;
        if ((fromBlock & set) == 0)
        {
            return length + _blockStringLength;
        }
        for (ulong ids = fromBlock & ~set; ids != 0; ids &= ids - 1)
        {
            length += 3 + (int)FindInBlock((PropertyId)BitOperations.TrailingZeroCount(ids)).Length;
        }
        return length;
    }

    /// <summary>One bit per id that code set or cleared (those ids' values in the block no longer count).</summary>
    private readonly ulong SetInCode => _nodes?.SetIds ?? 0;

    /// <summary>The string and binary properties that have a value, one bit per id.</summary>
    private readonly ulong BytesIds() => _nodes is null
        ? _present & BytesProperties
        : ((_present & ~_nodes.SetIds) | _nodes.ValueIds) & BytesProperties;

    /// <summary>
    /// Size of the block with its Property Length prefix in <paramref name="version"/> (0 in 3.1.1, which has
    /// no properties); <paramref name="length"/> is the block's length for <see cref="WriteTo"/>.
    /// </summary>
    internal readonly int GetBlockSize(ProtocolVersion version, out int length)
    {
        length = version == ProtocolVersion.V500 ? GetLength() : 0;
        return version == ProtocolVersion.V500 ? GetSizeWithPrefix(length) : 0;
    }

    /// <summary>Size of the block with its Property Length prefix, given <see cref="GetLength"/>.</summary>
    internal static int GetSizeWithPrefix(int length) => VariableByteInteger.GetSize(length) + length;

    /// <summary>Writes Property Length and the properties in identifier order, User Properties last.</summary>
    internal readonly void WriteTo(ref PacketWriter w, int length)
    {
        w.WriteVariableByteInteger(length);
        if (length == 0)
        {
            return;
        }
        ulong ids = (_present & (ByteProperties | TwoByteProperties | FourByteProperties)) | BytesIds();
        if (Has(PropertyId.SubscriptionIdentifier) ? _subscriptionIdentifiers.Count > 0 : _blockSubscriptionIdCount > 0)
        {
            ids |= Bit(PropertyId.SubscriptionIdentifier);
        }
        // Only the properties present, lowest identifier first.
        for (; ids != 0; ids &= ids - 1)
        {
            var id = (PropertyId)BitOperations.TrailingZeroCount(ids);
            if (id == PropertyId.SubscriptionIdentifier)
            {
                WriteSubscriptionIdentifiers(ref w);
                continue;
            }
            w.WriteByte((byte)id);
            switch (id)
            {
                case PropertyId.PayloadFormatIndicator:
                    w.WriteByte(_payloadFormatIndicator);
                    break;
                case PropertyId.MaximumQoS:
                    w.WriteByte(_maximumQoS);
                    break;
                case PropertyId.MessageExpiryInterval:
                    w.WriteUInt32(_messageExpiryInterval);
                    break;
                case PropertyId.SessionExpiryInterval:
                    w.WriteUInt32(_sessionExpiryInterval);
                    break;
                case PropertyId.WillDelayInterval:
                    w.WriteUInt32(_willDelayInterval);
                    break;
                case PropertyId.MaximumPacketSize:
                    w.WriteUInt32(_maximumPacketSize);
                    break;
                case PropertyId.ServerKeepAlive:
                    w.WriteUInt16(_serverKeepAlive);
                    break;
                case PropertyId.ReceiveMaximum:
                    w.WriteUInt16(_receiveMaximum);
                    break;
                case PropertyId.TopicAliasMaximum:
                    w.WriteUInt16(_topicAliasMaximum);
                    break;
                case PropertyId.TopicAlias:
                    w.WriteUInt16(_topicAlias);
                    break;
                default:
                    if ((Bit(id) & BytesProperties) != 0)
                    {
                        if ((SetInCode & Bit(id)) != 0)
                        {
                            _nodes!.Find(id)!.WriteBinaryTo(ref w);
                        }
                        else
                        {
                            WriteBinaryFromBlock(ref w, id);
                        }
                    }
                    else
                    {
                        // The 0-or-1 properties.
                        w.WriteByte((_true & Bit(id)) != 0 ? (byte)1 : (byte)0);
                    }
                    break;
            }
        }
        if ((SetInCode & Bit(PropertyId.UserProperty)) != 0)
        {
            if ((_nodes!.ValueIds & Bit(PropertyId.UserProperty)) != 0)
            {
                _nodes.Find(PropertyId.UserProperty)!.WriteUserPropertiesTo(ref w);
            }
        }
        else if (_blockUserCount > 0)
        {
            WriteUserPropertiesFromBlock(ref w);
        }
    }

    // Out of line: their struct temporaries would otherwise be zeroed on every call of WriteTo.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void WriteBinaryFromBlock(ref PacketWriter w, PropertyId id) => w.WriteBinary(FindInBlock(id));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void WriteSubscriptionIdentifiers(ref PacketWriter w) => SubscriptionIdentifiers.WriteTo(ref w);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void WriteUserPropertiesFromBlock(ref PacketWriter w) =>
        new UserProperties(_block, _blockUserCount, _blockUserLength).WriteTo(ref w);
}
