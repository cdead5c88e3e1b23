using System.Buffers;
using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>The MQTT 5 properties of an outgoing message or Will, and of an incoming message.</summary>
internal static class MessageProperties
{
    public static MqttProperties From(MqttApplicationMessage message) => new()
    {
        PayloadFormatIndicator = message.PayloadIsUtf8 is bool utf8 ? (byte)(utf8 ? 1 : 0) : null,
        MessageExpiryInterval = message.MessageExpiryInterval,
        ContentType = WireText.Encode(message.ContentType),
        ResponseTopic = WireText.Encode(message.ResponseTopic),
        CorrelationData = WireText.Wrap(message.CorrelationData),
        UserProperties = WireText.ToWire(message.UserProperties),
    };

    public static MqttProperties From(MqttWill will) => new()
    {
        WillDelayInterval = will.DelayInterval,
        MessageExpiryInterval = will.MessageExpiryInterval,
        ContentType = WireText.Encode(will.ContentType),
        UserProperties = WireText.ToWire(will.UserProperties),
    };

    /// <summary>Copies a received PUBLISH out of the receive buffer.</summary>
    public static MqttApplicationMessage ToMessage(in PublishPacket packet, string topic, long connectionNumber)
    {
        MqttProperties p = packet.Properties;
        int[] subscriptionIds = [];
        if (p.SubscriptionIdentifiers.Count > 0)
        {
            subscriptionIds = new int[p.SubscriptionIdentifiers.Count];
            int i = 0;
            foreach (int id in p.SubscriptionIdentifiers)
            {
                subscriptionIds[i++] = id;
            }
        }
        return new MqttApplicationMessage
        {
            Topic = topic,
            Payload = packet.Payload.ToArray(),
            QoS = packet.QoS,
            Retain = packet.Retain,
            Duplicate = packet.Duplicate,
            PacketId = packet.PacketId,
            PayloadIsUtf8 = p.PayloadFormatIndicator is byte format ? format == 1 : null,
            MessageExpiryInterval = p.MessageExpiryInterval,
            ContentType = WireText.ToStringOrNull(p.ContentType),
            ResponseTopic = WireText.ToStringOrNull(p.ResponseTopic),
            CorrelationData = WireText.ToMemoryOrNull(p.CorrelationData),
            UserProperties = WireText.ToList(p.UserProperties),
            SubscriptionIdentifiers = subscriptionIds,
            ConnectionNumber = connectionNumber,
        };
    }
}
