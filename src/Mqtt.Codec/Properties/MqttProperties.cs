using System.Buffers;

namespace Mqtt.Codec;

/// <summary>
/// The properties of an MQTT 5 packet (section 2.2.2). A property that was not sent is null; strings and
/// binary data are slices of the packet. Which properties a packet may carry is checked on reading.
/// </summary>
/// <remarks>
/// Kept small because every packet struct holds one and every decode returns one (docs/codec.md, "Property
/// representation"): numbers and flags sit in a few fields with a presence bit each; strings, binary data,
/// User Properties and Subscription Identifiers of a received packet stay in the validated property block and
/// are found there when asked for; values set in code go into a short immutable list that copies share.
/// </remarks>
public partial struct MqttProperties
{
    // The validated block this value was read from; empty when nothing in it needs to be found again.
    private ReadOnlySequence<byte> _block;

    // String, binary and User Property values set in code, newest first; the first node of an id wins.
    private PropertyNode? _nodes;

    // Set in code (presence bit SubscriptionIdentifier); otherwise the block's, counted below.
    private SubscriptionIdentifiers _subscriptionIdentifiers;

    // One bit per PropertyId: a number or flag that has a value, a string or binary property present in
    // _block, or (SubscriptionIdentifier) Subscription Identifiers set in code.
    private ulong _present;

    // One bit per PropertyId: the value of a 0-or-1 property.
    private ulong _true;

    private uint _messageExpiryInterval;
    private uint _sessionExpiryInterval;
    private uint _willDelayInterval;
    private uint _maximumPacketSize;
    private ushort _serverKeepAlive;
    private ushort _receiveMaximum;
    private ushort _topicAliasMaximum;
    private ushort _topicAlias;
    private byte _payloadFormatIndicator;
    private byte _maximumQoS;

    // What _block holds: bytes of its string and binary entries, and its User Properties and Subscription Identifiers.
    private int _blockStringLength;
    private int _blockUserCount;
    private int _blockUserLength;
    private int _blockSubscriptionIdCount;
    private int _blockSubscriptionIdLength;

    /// <summary>0: the payload is unspecified bytes; 1: it is UTF-8 (PUBLISH, Will).</summary>
    public byte? PayloadFormatIndicator
    {
        readonly get => Has(PropertyId.PayloadFormatIndicator) ? _payloadFormatIndicator : null;
        set => _payloadFormatIndicator = Set(PropertyId.PayloadFormatIndicator, value);
    }

    /// <summary>Lifetime of the message in seconds (PUBLISH, Will).</summary>
    public uint? MessageExpiryInterval
    {
        readonly get => Has(PropertyId.MessageExpiryInterval) ? _messageExpiryInterval : null;
        set => _messageExpiryInterval = Set(PropertyId.MessageExpiryInterval, value);
    }

    /// <summary>MIME-like description of the payload (PUBLISH, Will).</summary>
    public ReadOnlySequence<byte>? ContentType
    {
        readonly get => GetBytes(PropertyId.ContentType);
        set => SetBytes(PropertyId.ContentType, value);
    }

    /// <summary>Topic Name for a response (PUBLISH, Will).</summary>
    public ReadOnlySequence<byte>? ResponseTopic
    {
        readonly get => GetBytes(PropertyId.ResponseTopic);
        set => SetBytes(PropertyId.ResponseTopic, value);
    }

    /// <summary>Correlation Data for request/response (PUBLISH, Will).</summary>
    public ReadOnlySequence<byte>? CorrelationData
    {
        readonly get => GetBytes(PropertyId.CorrelationData);
        set => SetBytes(PropertyId.CorrelationData, value);
    }

    /// <summary>Subscription Identifiers (PUBLISH from the server, SUBSCRIBE).</summary>
    public SubscriptionIdentifiers SubscriptionIdentifiers
    {
        readonly get => Has(PropertyId.SubscriptionIdentifier) ? _subscriptionIdentifiers
            : _blockSubscriptionIdCount > 0 ? new SubscriptionIdentifiers(_block, _blockSubscriptionIdCount, _blockSubscriptionIdLength)
            : default;
        set
        {
            _subscriptionIdentifiers = value;
            _present |= Bit(PropertyId.SubscriptionIdentifier);
        }
    }

    /// <summary>Session Expiry Interval in seconds (CONNECT, CONNACK, DISCONNECT).</summary>
    public uint? SessionExpiryInterval
    {
        readonly get => Has(PropertyId.SessionExpiryInterval) ? _sessionExpiryInterval : null;
        set => _sessionExpiryInterval = Set(PropertyId.SessionExpiryInterval, value);
    }

    /// <summary>The Client Identifier the server assigned (CONNACK).</summary>
    public ReadOnlySequence<byte>? AssignedClientIdentifier
    {
        readonly get => GetBytes(PropertyId.AssignedClientIdentifier);
        set => SetBytes(PropertyId.AssignedClientIdentifier, value);
    }

    /// <summary>Keep Alive the server imposes, in seconds (CONNACK).</summary>
    public ushort? ServerKeepAlive
    {
        readonly get => Has(PropertyId.ServerKeepAlive) ? _serverKeepAlive : null;
        set => _serverKeepAlive = Set(PropertyId.ServerKeepAlive, value);
    }

    /// <summary>Name of the enhanced authentication method (CONNECT, CONNACK, AUTH).</summary>
    public ReadOnlySequence<byte>? AuthenticationMethod
    {
        readonly get => GetBytes(PropertyId.AuthenticationMethod);
        set => SetBytes(PropertyId.AuthenticationMethod, value);
    }

    /// <summary>Method-specific authentication data (CONNECT, CONNACK, AUTH).</summary>
    public ReadOnlySequence<byte>? AuthenticationData
    {
        readonly get => GetBytes(PropertyId.AuthenticationData);
        set => SetBytes(PropertyId.AuthenticationData, value);
    }

    /// <summary>Whether the server may send Reason Strings and User Properties on failures (CONNECT).</summary>
    public bool? RequestProblemInformation
    {
        readonly get => GetFlag(PropertyId.RequestProblemInformation);
        set => SetFlag(PropertyId.RequestProblemInformation, value);
    }

    /// <summary>Delay before the Will is published, in seconds (Will).</summary>
    public uint? WillDelayInterval
    {
        readonly get => Has(PropertyId.WillDelayInterval) ? _willDelayInterval : null;
        set => _willDelayInterval = Set(PropertyId.WillDelayInterval, value);
    }

    /// <summary>Whether the client asks for Response Information (CONNECT).</summary>
    public bool? RequestResponseInformation
    {
        readonly get => GetFlag(PropertyId.RequestResponseInformation);
        set => SetFlag(PropertyId.RequestResponseInformation, value);
    }

    /// <summary>Basis for response topics (CONNACK).</summary>
    public ReadOnlySequence<byte>? ResponseInformation
    {
        readonly get => GetBytes(PropertyId.ResponseInformation);
        set => SetBytes(PropertyId.ResponseInformation, value);
    }

    /// <summary>Another server to use (CONNACK, DISCONNECT).</summary>
    public ReadOnlySequence<byte>? ServerReference
    {
        readonly get => GetBytes(PropertyId.ServerReference);
        set => SetBytes(PropertyId.ServerReference, value);
    }

    /// <summary>Human-readable diagnostic (acknowledgements, DISCONNECT, AUTH).</summary>
    public ReadOnlySequence<byte>? ReasonString
    {
        readonly get => GetBytes(PropertyId.ReasonString);
        set => SetBytes(PropertyId.ReasonString, value);
    }

    /// <summary>How many QoS 1 and 2 publications the sender accepts at once (CONNECT, CONNACK).</summary>
    public ushort? ReceiveMaximum
    {
        readonly get => Has(PropertyId.ReceiveMaximum) ? _receiveMaximum : null;
        set => _receiveMaximum = Set(PropertyId.ReceiveMaximum, value);
    }

    /// <summary>Highest Topic Alias the sender accepts (CONNECT, CONNACK).</summary>
    public ushort? TopicAliasMaximum
    {
        readonly get => Has(PropertyId.TopicAliasMaximum) ? _topicAliasMaximum : null;
        set => _topicAliasMaximum = Set(PropertyId.TopicAliasMaximum, value);
    }

    /// <summary>Topic Alias standing for the Topic Name (PUBLISH).</summary>
    public ushort? TopicAlias
    {
        readonly get => Has(PropertyId.TopicAlias) ? _topicAlias : null;
        set => _topicAlias = Set(PropertyId.TopicAlias, value);
    }

    /// <summary>Highest QoS the server supports, 0 or 1 when sent (CONNACK).</summary>
    public QualityOfService? MaximumQoS
    {
        readonly get => Has(PropertyId.MaximumQoS) ? (QualityOfService)_maximumQoS : null;
        set => _maximumQoS = Set(PropertyId.MaximumQoS, (byte?)value);
    }

    /// <summary>Whether the server supports retained messages (CONNACK).</summary>
    public bool? RetainAvailable
    {
        readonly get => GetFlag(PropertyId.RetainAvailable);
        set => SetFlag(PropertyId.RetainAvailable, value);
    }

    /// <summary>User Properties, in order.</summary>
    public UserProperties UserProperties
    {
        readonly get
        {
            if (FindNode(PropertyId.UserProperty) is { } node)
            {
                return new UserProperties(node.Value, node.Count, node.EncodedLength);
            }
            return _blockUserCount > 0 ? new UserProperties(_block, _blockUserCount, _blockUserLength) : default;
        }
        set
        {
            if (value.Count > 0 || _nodes is not null || _blockUserCount > 0)
            {
                _nodes = new PropertyNode(PropertyId.UserProperty, value.Block, value.Count, value.EncodedLength, _nodes);
            }
        }
    }

    /// <summary>Largest packet the sender accepts (CONNECT, CONNACK).</summary>
    public uint? MaximumPacketSize
    {
        readonly get => Has(PropertyId.MaximumPacketSize) ? _maximumPacketSize : null;
        set => _maximumPacketSize = Set(PropertyId.MaximumPacketSize, value);
    }

    /// <summary>Whether the server supports wildcard subscriptions (CONNACK).</summary>
    public bool? WildcardSubscriptionAvailable
    {
        readonly get => GetFlag(PropertyId.WildcardSubscriptionAvailable);
        set => SetFlag(PropertyId.WildcardSubscriptionAvailable, value);
    }

    /// <summary>Whether the server supports Subscription Identifiers (CONNACK).</summary>
    public bool? SubscriptionIdentifierAvailable
    {
        readonly get => GetFlag(PropertyId.SubscriptionIdentifierAvailable);
        set => SetFlag(PropertyId.SubscriptionIdentifierAvailable, value);
    }

    /// <summary>Whether the server supports Shared Subscriptions (CONNACK).</summary>
    public bool? SharedSubscriptionAvailable
    {
        readonly get => GetFlag(PropertyId.SharedSubscriptionAvailable);
        set => SetFlag(PropertyId.SharedSubscriptionAvailable, value);
    }

    private static ulong Bit(PropertyId id) => 1UL << (int)id;

    private readonly bool Has(PropertyId id) => (_present & Bit(id)) != 0;

    /// <summary>Records whether a number property has a value and returns the value to store.</summary>
    private T Set<T>(PropertyId id, T? value)
        where T : struct
    {
        if (value.HasValue)
        {
            _present |= Bit(id);
            return value.GetValueOrDefault();
        }
        _present &= ~Bit(id);
        return default;
    }

    private readonly bool? GetFlag(PropertyId id) => Has(id) ? (_true & Bit(id)) != 0 : null;

    private void SetFlag(PropertyId id, bool? value)
    {
        _true = value == true ? _true | Bit(id) : _true & ~Bit(id);
        _present = value.HasValue ? _present | Bit(id) : _present & ~Bit(id);
    }

    private readonly ReadOnlySequence<byte>? GetBytes(PropertyId id)
    {
        if (FindNode(id) is { } node)
        {
            return node.HasValue ? node.Value : null;
        }
        return Has(id) ? FindInBlock(id) : null;
    }

    /// <summary>The newest value of <paramref name="id"/> set in code, or null when code never set or cleared it.</summary>
    private readonly PropertyNode? FindNode(PropertyId id) =>
        _nodes is not null && (_nodes.SetIds & Bit(id)) != 0 ? _nodes.Find(id) : null;

    private void SetBytes(PropertyId id, ReadOnlySequence<byte>? value)
    {
        // Clearing a property that is not there needs no node.
        if (value.HasValue || _nodes is not null || Has(id))
        {
            _nodes = new PropertyNode(id, value, _nodes);
        }
    }

    /// <summary>The value of a string or binary property known to be in the (validated) block.</summary>
    private readonly ReadOnlySequence<byte> FindInBlock(PropertyId id)
    {
        var cursor = new RepeatedPropertyCursor(_block, id);
        cursor.MoveNext();
        cursor.Reader.TryReadBigEndian(out short length);
        return _block.Slice(cursor.Reader.Position, (ushort)length);
    }
}
