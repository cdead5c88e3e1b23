using System.Buffers;

namespace Mqtt.Codec;

public partial struct MqttProperties
{
    /// <summary>Size of the property block without its Property Length prefix.</summary>
    internal readonly int GetLength()
    {
        int length = UserProperties.EncodedLength + SubscriptionIdentifiers.EncodedLength
            + Size(PayloadFormatIndicator) + Size(MessageExpiryInterval) + Size(ContentType) + Size(ResponseTopic)
            + Size(CorrelationData) + Size(SessionExpiryInterval) + Size(AssignedClientIdentifier) + Size(ServerKeepAlive)
            + Size(AuthenticationMethod) + Size(AuthenticationData) + Size(RequestProblemInformation) + Size(WillDelayInterval)
            + Size(RequestResponseInformation) + Size(ResponseInformation) + Size(ServerReference) + Size(ReasonString)
            + Size(ReceiveMaximum) + Size(TopicAliasMaximum) + Size(TopicAlias) + Size(MaximumQoS) + Size(RetainAvailable)
            + Size(MaximumPacketSize) + Size(WildcardSubscriptionAvailable) + Size(SubscriptionIdentifierAvailable)
            + Size(SharedSubscriptionAvailable);
        return length;
    }

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
        Write(ref w, PropertyId.PayloadFormatIndicator, PayloadFormatIndicator);
        Write(ref w, PropertyId.MessageExpiryInterval, MessageExpiryInterval);
        Write(ref w, PropertyId.ContentType, ContentType);
        Write(ref w, PropertyId.ResponseTopic, ResponseTopic);
        Write(ref w, PropertyId.CorrelationData, CorrelationData);
        SubscriptionIdentifiers.WriteTo(ref w);
        Write(ref w, PropertyId.SessionExpiryInterval, SessionExpiryInterval);
        Write(ref w, PropertyId.AssignedClientIdentifier, AssignedClientIdentifier);
        Write(ref w, PropertyId.ServerKeepAlive, ServerKeepAlive);
        Write(ref w, PropertyId.AuthenticationMethod, AuthenticationMethod);
        Write(ref w, PropertyId.AuthenticationData, AuthenticationData);
        Write(ref w, PropertyId.RequestProblemInformation, RequestProblemInformation);
        Write(ref w, PropertyId.WillDelayInterval, WillDelayInterval);
        Write(ref w, PropertyId.RequestResponseInformation, RequestResponseInformation);
        Write(ref w, PropertyId.ResponseInformation, ResponseInformation);
        Write(ref w, PropertyId.ServerReference, ServerReference);
        Write(ref w, PropertyId.ReasonString, ReasonString);
        Write(ref w, PropertyId.ReceiveMaximum, ReceiveMaximum);
        Write(ref w, PropertyId.TopicAliasMaximum, TopicAliasMaximum);
        Write(ref w, PropertyId.TopicAlias, TopicAlias);
        Write(ref w, PropertyId.MaximumQoS, (byte?)MaximumQoS);
        Write(ref w, PropertyId.RetainAvailable, RetainAvailable);
        Write(ref w, PropertyId.MaximumPacketSize, MaximumPacketSize);
        Write(ref w, PropertyId.WildcardSubscriptionAvailable, WildcardSubscriptionAvailable);
        Write(ref w, PropertyId.SubscriptionIdentifierAvailable, SubscriptionIdentifierAvailable);
        Write(ref w, PropertyId.SharedSubscriptionAvailable, SharedSubscriptionAvailable);
        UserProperties.WriteTo(ref w);
    }

    private static int Size(byte? value) => value.HasValue ? 2 : 0;

    private static int Size(bool? value) => value.HasValue ? 2 : 0;

    private static int Size(QualityOfService? value) => value.HasValue ? 2 : 0;

    private static int Size(ushort? value) => value.HasValue ? 3 : 0;

    private static int Size(uint? value) => value.HasValue ? 5 : 0;

    private static int Size(in ReadOnlySequence<byte>? value) => value.HasValue ? 3 + (int)value.GetValueOrDefault().Length : 0;

    private static void Write(ref PacketWriter w, PropertyId id, byte? value)
    {
        if (value is byte v)
        {
            w.WriteByte((byte)id);
            w.WriteByte(v);
        }
    }

    private static void Write(ref PacketWriter w, PropertyId id, bool? value) =>
        Write(ref w, id, value.HasValue ? (byte)(value.GetValueOrDefault() ? 1 : 0) : null);

    private static void Write(ref PacketWriter w, PropertyId id, ushort? value)
    {
        if (value is ushort v)
        {
            w.WriteByte((byte)id);
            w.WriteUInt16(v);
        }
    }

    private static void Write(ref PacketWriter w, PropertyId id, uint? value)
    {
        if (value is uint v)
        {
            w.WriteByte((byte)id);
            w.WriteUInt32(v);
        }
    }

    private static void Write(ref PacketWriter w, PropertyId id, in ReadOnlySequence<byte>? value)
    {
        if (value.HasValue)
        {
            w.WriteByte((byte)id);
            w.WriteBinary(value.GetValueOrDefault());
        }
    }
}
