using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>A Topic Filter with its Subscription Options (section 3.8.3.1), for <see cref="MqttClient.SubscribeAsync(IReadOnlyList{MqttTopicFilter}, CancellationToken)"/>.</summary>
/// <param name="Filter">The Topic Filter, e.g. <c>sensors/+/temperature</c> or <c>$share/group/jobs/#</c>.</param>
/// <param name="MaximumQoS">Highest QoS the server may deliver with on this subscription.</param>
public sealed record MqttTopicFilter(string Filter, QualityOfService MaximumQoS = QualityOfService.AtMostOnce)
{
    /// <summary>MQTT 5: do not receive our own publications on this subscription.</summary>
    public bool NoLocal { get; init; }

    /// <summary>MQTT 5: keep the RETAIN flag as published when forwarding.</summary>
    public bool RetainAsPublished { get; init; }

    /// <summary>MQTT 5: when retained messages are sent for this subscription.</summary>
    public RetainHandling RetainHandling { get; init; } = RetainHandling.SendOnSubscribe;

    /// <summary>
    /// MQTT 5 Subscription Identifier, 1 to 268,435,455 (0: none): messages that match this subscription carry it in
    /// <see cref="MqttApplicationMessage.SubscriptionIdentifiers"/>. One SUBSCRIBE carries one identifier, so the filters
    /// of one <see cref="MqttClient.SubscribeAsync(IReadOnlyList{MqttTopicFilter}, CancellationToken)"/> call share it.
    /// </summary>
    public int SubscriptionIdentifier { get; init; }
}
