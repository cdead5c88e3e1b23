using System.Buffers;
using Mqtt.Codec;

namespace Mqtt.Client;

public sealed partial class MqttClient
{
    /// <summary>Subscribes to one Topic Filter; returns the SUBACK's reason code for it (Granted QoS, or a failure from 0x80).</summary>
    public Task<MqttSubscribeResult> SubscribeAsync(string topicFilter, QualityOfService maximumQoS = QualityOfService.AtMostOnce,
        CancellationToken cancellationToken = default) =>
        SubscribeAsync([new MqttTopicFilter(topicFilter, maximumQoS)], cancellationToken);

    /// <summary>Subscribes to Topic Filters in one SUBSCRIBE; the result holds one reason code per filter, in order.</summary>
    public async Task<MqttSubscribeResult> SubscribeAsync(IReadOnlyList<MqttTopicFilter> topicFilters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topicFilters);
        if (topicFilters.Count == 0)
        {
            throw new ArgumentException("[MQTT-3.8.3-2] a SUBSCRIBE holds at least one Topic Filter", nameof(topicFilters));
        }
        int identifier = SubscriptionIdentifierOf(topicFilters);
        var subscriptions = new Subscription[topicFilters.Count];
        for (int i = 0; i < subscriptions.Length; i++)
        {
            MqttTopicFilter f = topicFilters[i];
            ReadOnlySequence<byte> filter = EncodeTopicFilter(f.Filter, nameof(topicFilters), _options.ProtocolVersion);
            subscriptions[i] = new Subscription(filter, f.MaximumQoS, f.NoLocal, f.RetainAsPublished, f.RetainHandling);
        }
        MqttConnection connection = RequireConnection();
        MqttTopicFilter[] requested = [.. topicFilters];
        var pending = new PendingAck(PacketType.SubAck, subscriptions.Length)
        {
            AcknowledgedLocked = result => RecordSubscriptionsLocked(requested, ((MqttSubscribeResult)result).ReasonCodes),
        };
        ushort packetId;
        lock (_sync)
        {
            packetId = AllocatePacketIdLocked(pending);
        }
        bool sent = false;
        try
        {
            var properties = new MqttProperties();
            if (identifier != 0)
            {
                properties.SubscriptionIdentifiers = SubscriptionIdentifiers.Create(identifier);
            }
            var packet = new SubscribePacket { PacketId = packetId, Properties = properties, Subscriptions = SubscriptionList.Create(subscriptions) };
            await connection.SendAsync(packet, cancellationToken).ConfigureAwait(false);
            sent = true;
            var result = (MqttSubscribeResult)await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            _logger?.LogSubscribe(requested, result.ReasonCodes);
            return result;
        }
        finally
        {
            if (!sent)
            {
                ReleasePacketId(packetId, pending);
            }
        }
    }

    /// <summary>
    /// The Subscription Identifier the filters share (0: none). It is MQTT 5's (3.8.2.1.2), within the Variable Byte
    /// Integer's range and not 0, and only for a server that takes identifiers (CONNACK's Subscription Identifiers Available).
    /// </summary>
    private int SubscriptionIdentifierOf(IReadOnlyList<MqttTopicFilter> topicFilters)
    {
        int identifier = topicFilters[0].SubscriptionIdentifier;
        foreach (MqttTopicFilter filter in topicFilters)
        {
            if (filter.SubscriptionIdentifier != identifier)
            {
                throw new ArgumentException("the filters of one SUBSCRIBE share one Subscription Identifier: subscribe to the others in another call", nameof(topicFilters));
            }
        }
        if (identifier == 0)
        {
            return 0;
        }
        if (identifier is < 0 or > VariableByteInteger.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(topicFilters), identifier, "a Subscription Identifier is 1 to 268,435,455");
        }
        if (_options.ProtocolVersion != ProtocolVersion.V500)
        {
            throw new ArgumentException("Subscription Identifiers are MQTT 5's", nameof(topicFilters));
        }
        if (Volatile.Read(ref _connectResult) is { SubscriptionIdentifiersAvailable: false })
        {
            throw new MqttException("the server does not support Subscription Identifiers", ReasonCode.SubscriptionIdentifiersNotSupported);
        }
        return identifier;
    }

    /// <summary>Unsubscribes from Topic Filters in one UNSUBSCRIBE; returns one reason code per filter.</summary>
    public async Task<MqttUnsubscribeResult> UnsubscribeAsync(IReadOnlyList<string> topicFilters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topicFilters);
        if (topicFilters.Count == 0)
        {
            throw new ArgumentException("[MQTT-3.10.3-2] an UNSUBSCRIBE holds at least one Topic Filter", nameof(topicFilters));
        }
        var filters = new string[topicFilters.Count];
        for (int i = 0; i < filters.Length; i++)
        {
            EncodeTopicFilter(topicFilters[i], nameof(topicFilters), _options.ProtocolVersion);
            filters[i] = topicFilters[i];
        }
        MqttConnection connection = RequireConnection();
        var pending = new PendingAck(PacketType.UnsubAck, filters.Length)
        {
            AcknowledgedLocked = _ =>
            {
                foreach (string filter in filters)
                {
                    ForgetSubscriptionLocked(filter);
                }
            },
        };
        ushort packetId;
        lock (_sync)
        {
            packetId = AllocatePacketIdLocked(pending);
        }
        bool sent = false;
        try
        {
            var packet = new UnsubscribePacket { PacketId = packetId, TopicFilters = TopicFilterList.Create(filters) };
            await connection.SendAsync(packet, cancellationToken).ConfigureAwait(false);
            sent = true;
            return (MqttUnsubscribeResult)await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!sent)
            {
                ReleasePacketId(packetId, pending);
            }
        }
    }

    /// <summary>Unsubscribes from one Topic Filter.</summary>
    public Task<MqttUnsubscribeResult> UnsubscribeAsync(string topicFilter, CancellationToken cancellationToken = default) =>
        UnsubscribeAsync([topicFilter], cancellationToken);

    private void RecordSubscriptionsLocked(MqttTopicFilter[] requested, IReadOnlyList<ReasonCode> codes)
    {
        for (int i = 0; i < requested.Length && i < codes.Count; i++)
        {
            if ((byte)codes[i] < 0x80)
            {
                ForgetSubscriptionLocked(requested[i].Filter);
                _subscriptions.Add(requested[i]);
            }
        }
    }

    private void ForgetSubscriptionLocked(string filter)
    {
        for (int i = _subscriptions.Count - 1; i >= 0; i--)
        {
            if (_subscriptions[i].Filter == filter)
            {
                _subscriptions.RemoveAt(i);
            }
        }
    }

    /// <summary>
    /// Frees the Packet Identifier of a request that was never sent. Once sent, it is held until the SUBACK or UNSUBACK,
    /// even if the caller gave up waiting [MQTT-2.2.1-3], or until the connection ends.
    /// </summary>
    private void ReleasePacketId(ushort packetId, PendingAck pending)
    {
        lock (_sync)
        {
            if (_pending.TryGetValue(packetId, out object? entry) && entry == pending)
            {
                _pending.Remove(packetId);
            }
        }
    }

    private static ReadOnlySequence<byte> EncodeTopicFilter(string filter, string parameterName, ProtocolVersion version)
    {
        ArgumentNullException.ThrowIfNull(filter, parameterName);
        ReadOnlySequence<byte> bytes = MqttUtf8.Encode(filter);
        // One segment: Encode makes one array. At 3.1.1 "$share/g" is an ordinary filter (MqttTopic).
        if (bytes.Length > ushort.MaxValue || !MqttUtf8.IsWellFormed(bytes) || !MqttTopic.IsValidTopicFilter(bytes.FirstSpan, version))
        {
            throw new ArgumentException($"'{filter}' is not a valid Topic Filter (section 4.7)", parameterName);
        }
        return bytes;
    }

    /// <summary>Hands a SUBACK or UNSUBACK to its waiting request; <paramref name="codeCount"/> is how many reason codes it
    /// holds (null for a 3.1.1 UNSUBACK, which has none).</summary>
    private void CompleteAck(ushort packetId, PacketType type, int? codeCount, Func<PendingAck, object> result)
    {
        PendingAck? ack;
        object completed;
        lock (_sync)
        {
            ack = _pending.TryGetValue(packetId, out object? entry) ? entry as PendingAck : null;
            if (ack is null || ack.Expected != type)
            {
                // An acknowledgement for a request given up (cancelled) or never made: nothing waits for it.
                return;
            }
            if (codeCount is int count && count != ack.FilterCount)
            {
                // [MQTT-3.8.4-6] [MQTT-3.11.3-1] One reason code per filter: any other count cannot be matched to
                // the filters. Thrown while the request is still pending, so the lost connection fails it.
                throw new MqttProtocolException(ReasonCode.ProtocolError,
                    $"{type} {packetId} holds {count} reason codes for {ack.FilterCount} topic filters");
            }
            _pending.Remove(packetId);
            completed = result(ack);
            ack.AcknowledgedLocked?.Invoke(completed);
        }
        ack.Completion.TrySetResult(completed);
    }
}
