using System.Text;
using Mqtt.Codec;

namespace Mqtt.Cli.Commands;

/// <summary>Topics given on the command line, checked before connecting: a bad one is a usage error (exit 1), not a failure after the CONNECT.</summary>
internal static class TopicChecks
{
    public static bool IsTopicName(string topic) =>
        topic.Length > 0 && Encoding.UTF8.GetByteCount(topic) <= ushort.MaxValue && !topic.Contains('\0') && MqttTopic.IsValidTopicName(Encoding.UTF8.GetBytes(topic));

    /// <summary>By the rules of <paramref name="version"/> (at 3.1.1 `$share/g` is an ordinary filter).</summary>
    public static bool IsTopicFilter(string filter, ProtocolVersion version) =>
        filter.Length > 0 && Encoding.UTF8.GetByteCount(filter) <= ushort.MaxValue && !filter.Contains('\0')
        && MqttTopic.IsValidTopicFilter(Encoding.UTF8.GetBytes(filter), version);
}
