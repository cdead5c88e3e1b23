using System.Text;
using Mqtt.Codec;

namespace Mqtt.Cli.Commands;

/// <summary>Topics given on the command line, checked before connecting: a bad one is a usage error (exit 1), not a failure after the CONNECT.</summary>
internal static class TopicChecks
{
    public static bool IsTopicName(string topic) => Fits(topic, out byte[] bytes) && MqttTopic.IsValidTopicName(bytes);

    /// <summary>By the rules of <paramref name="version"/> (at 3.1.1 `$share/g` is an ordinary filter).</summary>
    public static bool IsTopicFilter(string filter, ProtocolVersion version) => Fits(filter, out byte[] bytes) && MqttTopic.IsValidTopicFilter(bytes, version);

    /// <summary>One character or more, no U+0000, at most 65,535 bytes: what any topic string needs.</summary>
    private static bool Fits(string topic, out byte[] bytes)
    {
        bytes = Encoding.UTF8.GetBytes(topic);
        return bytes.Length is > 0 and <= ushort.MaxValue && !topic.Contains('\0');
    }
}
