using System.Buffers;
using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>Copies between the codec's slices of the receive buffer and the client's owned .NET values.</summary>
internal static class WireText
{
    public static string? ToStringOrNull(in ReadOnlySequence<byte>? bytes) =>
        bytes.HasValue ? MqttUtf8.GetString(bytes.GetValueOrDefault()) : null;

    public static ReadOnlyMemory<byte>? ToMemoryOrNull(in ReadOnlySequence<byte>? bytes) =>
        bytes.HasValue ? bytes.GetValueOrDefault().ToArray() : null;

    public static ReadOnlySequence<byte>? Encode(string? text) => text is null ? null : MqttUtf8.Encode(text);

    public static ReadOnlySequence<byte>? Wrap(ReadOnlyMemory<byte>? bytes) =>
        bytes.HasValue ? new ReadOnlySequence<byte>(bytes.GetValueOrDefault()) : null;

    public static IReadOnlyList<MqttUserProperty> ToList(in UserProperties properties)
    {
        if (properties.Count == 0)
        {
            return [];
        }
        var list = new List<MqttUserProperty>(properties.Count);
        foreach (UserProperty p in properties)
        {
            list.Add(new MqttUserProperty(p.NameString, p.ValueString));
        }
        return list;
    }

    public static UserProperties ToWire(IReadOnlyList<MqttUserProperty> properties)
    {
        if (properties.Count == 0)
        {
            return default;
        }
        var pairs = new (string, string)[properties.Count];
        for (int i = 0; i < pairs.Length; i++)
        {
            pairs[i] = (properties[i].Name, properties[i].Value);
        }
        return UserProperties.Create(pairs);
    }

    public static IReadOnlyList<ReasonCode> ToReasonCodes(in ReadOnlySequence<byte> codes)
    {
        var list = new ReasonCode[codes.Length];
        int i = 0;
        foreach (ReadOnlyMemory<byte> segment in codes)
        {
            foreach (byte code in segment.Span)
            {
                list[i++] = (ReasonCode)code;
            }
        }
        return list;
    }
}
