using System.CommandLine;
using System.Text;
using Mqtt.Client;
using Mqtt.Codec;

namespace Mqtt.Cli.Commands;

/// <summary>
/// mosquitto_pub's and mosquitto_sub's --will-* options, for `pub` and `sub`: the Will Message (section 3.1.2.5), which
/// the broker publishes if the connection ends without DISCONNECT (a crash, a kill, a network failure).
/// </summary>
internal sealed class WillOptionSet
{
    public Option<string?> Topic { get; } = new("--will-topic") { Description = "Topic of the Will, published by the broker if the connection drops", HelpName = "TOPIC" };

    public Option<string?> Payload { get; } = new("--will-payload") { Description = "Payload of the Will (default: zero-length)", HelpName = "PAYLOAD" };

    public Option<int?> QoS { get; } = new Option<int?>("--will-qos") { Description = "QoS of the Will: 0 (default), 1 or 2" }.AcceptOnlyFromAmong("0", "1", "2");

    public Option<bool> Retain { get; } = new("--will-retain") { Description = "Make the Will a retained message" };

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Topic, Payload, QoS, Retain })
        {
            command.Options.Add(option);
        }
        command.AddCheck(r =>
        {
            if (r.GetValue(Topic) is string topic)
            {
                if (!TopicChecks.IsTopicName(topic))
                {
                    r.AddError($"--will-topic '{topic}' is not a Topic Name: one or more characters, no + or #, no U+0000, at most 65,535 bytes");
                }
            }
            else if (r.GetValue(Payload) is not null || r.GetValue(QoS) is not null || r.GetValue(Retain))
            {
                // mosquitto refuses a payload without a topic (and takes --will-qos or --will-retain alone, to no effect).
                r.AddError("--will-payload, --will-qos and --will-retain need --will-topic");
            }
        });
    }

    /// <summary>Sets the Will of <paramref name="options"/> when --will-topic was given; its payload is sent as UTF-8, as -m is.</summary>
    public void ApplyTo(ParseResult result, MqttClientOptions options)
    {
        if (result.GetValue(Topic) is string topic)
        {
            options.Will = new MqttWill
            {
                Topic = topic,
                Payload = Encoding.UTF8.GetBytes(result.GetValue(Payload) ?? ""),
                QoS = (QualityOfService)(result.GetValue(QoS) ?? 0),
                Retain = result.GetValue(Retain),
            };
        }
    }
}
