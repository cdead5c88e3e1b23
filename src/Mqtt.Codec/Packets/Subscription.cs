using System.Buffers;

namespace Mqtt.Codec;

/// <summary>One Topic Filter of a SUBSCRIBE with its Subscription Options (section 3.8.3.1).</summary>
public readonly record struct Subscription(
    ReadOnlySequence<byte> TopicFilter,
    QualityOfService MaximumQoS,
    bool NoLocal = false,
    bool RetainAsPublished = false,
    RetainHandling RetainHandling = RetainHandling.SendOnSubscribe)
{
    /// <summary>The Topic Filter as a string.</summary>
    public string TopicFilterString => MqttUtf8.GetString(TopicFilter);

    /// <summary>The Subscription Options byte.</summary>
    internal byte Options => (byte)((int)MaximumQoS | (NoLocal ? 0b100 : 0) | (RetainAsPublished ? 0b1000 : 0) | ((int)RetainHandling << 4));

    internal static Subscription FromOptions(ReadOnlySequence<byte> topicFilter, byte options) => new(
        topicFilter,
        (QualityOfService)(options & 0b11),
        (options & 0b100) != 0,
        (options & 0b1000) != 0,
        (RetainHandling)((options >> 4) & 0b11));
}
