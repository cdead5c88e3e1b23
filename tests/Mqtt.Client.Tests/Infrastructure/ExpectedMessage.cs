using System.Buffers;
using Mqtt.Codec;

namespace Mqtt.Client.Tests;

/// <summary>A message the client should hand to the application, its MQTT 5 properties in <see cref="Properties"/>.</summary>
public sealed record ExpectedMessage(string Topic, byte[] Payload, QualityOfService QoS, bool Retain, bool Duplicate, ushort PacketId, string Properties)
{
    public static ExpectedMessage Of(MqttApplicationMessage m) => new(m.Topic, m.Payload.ToArray(), m.QoS, m.Retain, m.Duplicate, m.PacketId,
        DescribeProperties(m.MessageExpiryInterval, m.PayloadIsUtf8, m.ContentType, m.ResponseTopic, m.CorrelationData?.ToArray(),
            m.UserProperties.Select(p => $"{p.Name}={p.Value}"), m.SubscriptionIdentifiers));

    public static ExpectedMessage Of(in PublishPacket publish, string topic)
    {
        MqttProperties p = publish.Properties;
        var userProperties = new List<string>();
        foreach (UserProperty property in p.UserProperties)
        {
            userProperties.Add($"{property.NameString}={property.ValueString}");
        }
        var subscriptionIdentifiers = new List<int>();
        foreach (int id in p.SubscriptionIdentifiers)
        {
            subscriptionIdentifiers.Add(id);
        }
        return new ExpectedMessage(topic, publish.Payload.ToArray(), publish.QoS, publish.Retain, publish.Duplicate, publish.PacketId,
            DescribeProperties(p.MessageExpiryInterval, p.PayloadFormatIndicator is byte format ? format == 1 : null, Text(p.ContentType),
                Text(p.ResponseTopic), p.CorrelationData?.ToArray(), userProperties, subscriptionIdentifiers));
    }

    public override string ToString() =>
        $"{Topic} QoS {(int)QoS} #{PacketId}{(Retain ? " retained" : "")}{(Duplicate ? " dup" : "")} {Properties} {Convert.ToHexString(Payload)}";

    private static string? Text(ReadOnlySequence<byte>? bytes) => bytes is { } text ? MqttUtf8.GetString(text) : null;

    private static string DescribeProperties(uint? expiry, bool? utf8, string? contentType, string? responseTopic, byte[]? correlation,
        IEnumerable<string> userProperties, IEnumerable<int> subscriptionIdentifiers) =>
        $"[expiry {expiry}, utf8 {utf8}, type {contentType}, response {responseTopic}, correlation {(correlation is null ? "" : Convert.ToHexString(correlation))}, " +
        $"user {string.Join(";", userProperties)}, subscriptions {string.Join(";", subscriptionIdentifiers)}]";
}
