using System.CommandLine;
using System.Text;
using Mqtt.Client;
using Mqtt.Codec;

namespace Mqtt.Cli.Commands;

/// <summary>
/// `mqttcore sub`: prints each message's payload on its own line (`-v`: `topic payload`, as mosquitto_sub);
/// exits 0 after -C COUNT messages, 3 when --timeout passes first.
/// </summary>
public static class SubCommand
{
    public static Command Create()
    {
        var common = new ClientOptionSet(shortVerbose: false);
        var topics = new Option<string[]>("--topic", "-t") { Description = "Topic filter to subscribe to (repeatable)", Required = true };
        var qos = new Option<int>("--qos", "-q") { Description = "Quality of service: 0, 1 or 2", DefaultValueFactory = _ => 0 };
        qos.AcceptOnlyFromAmong("0", "1", "2");
        var count = new Option<int?>("--count", "-C") { Description = "Exit after COUNT messages" };
        var noRetained = new Option<bool>("--no-retained", "-R") { Description = "Do not print retained (stale) messages" };
        var verboseTopics = new Option<bool>("--verbose-topics", "-v") { Description = "Print 'topic payload' instead of the payload alone" };
        var noEndOfLine = new Option<bool>("--no-eol", "-N") { Description = "Do not print an end of line after each message" };

        var command = new Command("sub", "Subscribe and print messages (like mosquitto_sub)");
        foreach (Option option in new Option[] { topics, qos, count, noRetained, verboseTopics, noEndOfLine })
        {
            command.Options.Add(option);
        }
        common.AddTo(command);
        command.AddCheck(r =>
        {
            if (r.GetValue(count) is int c && c < 1)
            {
                r.AddError("-C COUNT must be at least 1");
            }
            foreach (string filter in r.GetValue(topics) ?? [])
            {
                if (!TopicChecks.IsTopicFilter(filter, r.GetValue(common.Protocol) ?? ProtocolVersion.V500))
                {
                    r.AddError($"-t '{filter}' is not a Topic Filter: levels split by /, + alone in its level, # alone in the last, no U+0000");
                }
            }
        });
        command.SetAction(async (ParseResult r, CancellationToken cancellationToken) =>
        {
            TextWriter output = r.InvocationConfiguration.Output;
            TextWriter error = r.InvocationConfiguration.Error;
            MqttClientOptions? options = common.Build(r, error);
            if (options is null)
            {
                return ExitCodes.Usage;
            }
            var subscription = new Subscription(r.GetValue(topics)!, (QualityOfService)r.GetValue(qos), r.GetValue(count),
                r.GetValue(noRetained), r.GetValue(verboseTopics), EndOfLine: !r.GetValue(noEndOfLine));
            using var signals = new InterruptSignals(cancellationToken, InterruptSignals.ClientGrace);
            return await subscription.RunAsync(options, common.GetTimeout(r), new MessageOutput(output, error), error, signals.Token);
        });
        return command;
    }

    /// <summary>One run of the command.</summary>
    private sealed record Subscription(string[] Filters, QualityOfService QoS, int? Count, bool NoRetained, bool PrintTopics, bool EndOfLine)
    {
        public async Task<int> RunAsync(MqttClientOptions options, TimeSpan timeout, MessageOutput output, TextWriter error, CancellationToken cancellationToken)
        {
            await using var client = new MqttClient(options);
            try
            {
                await client.ConnectAsync(cancellationToken);
                var filters = new MqttTopicFilter[Filters.Length];
                for (int i = 0; i < filters.Length; i++)
                {
                    filters[i] = new MqttTopicFilter(Filters[i], QoS);
                }
                MqttSubscribeResult subscribed = await BrokerAnswer.WithinAsync(token => client.SubscribeAsync(filters, token), timeout, cancellationToken);
                for (int i = 0; i < subscribed.ReasonCodes.Count; i++)
                {
                    if ((byte)subscribed.ReasonCodes[i] >= 0x80)
                    {
                        error.WriteLine($"refused: {MqttReasonCodeText.Format(subscribed.ReasonCodes[i])} ({(i < Filters.Length ? Filters[i] : "?")})");
                        return ExitCodes.Refused;
                    }
                }
                (int printed, bool outputClosed) = await PrintAsync(client, timeout, output, cancellationToken);
                if (Count is int wanted && printed < wanted && !outputClosed && !cancellationToken.IsCancellationRequested)
                {
                    error.WriteLine($"timeout: {printed} of {wanted} messages within {timeout.TotalSeconds:0.###} s");
                    await client.DisconnectAsync(cancellationToken: CancellationToken.None); // ends as any run does: DISCONNECT first
                    return ExitCodes.Timeout;
                }
                await client.DisconnectAsync(cancellationToken: CancellationToken.None);
                return ExitCodes.Success;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Success; // interrupted before the subscription was in place
            }
            catch (MqttException e)
            {
                return ClientOptionSet.Fail(e, error);
            }
            catch (ArgumentException e)
            {
                return ClientOptionSet.Fail(e, error);
            }
        }

        /// <summary>Prints messages until COUNT, the timeout (only with COUNT), cancellation (Ctrl+C), or stdout closing.</summary>
        private async Task<(int Printed, bool OutputClosed)> PrintAsync(MqttClient client, TimeSpan timeout, MessageOutput output, CancellationToken cancellationToken)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (Count is not null)
            {
                deadline.CancelAfter(timeout);
            }
            int printed = 0;
            try
            {
                await foreach (MqttApplicationMessage message in client.ReadMessagesAsync(deadline.Token))
                {
                    if (NoRetained && message.Retain)
                    {
                        continue;
                    }
                    string payload = Encoding.UTF8.GetString(message.Payload.Span);
                    if (!output.TryWrite(PrintTopics ? $"{message.Topic} {payload}" : payload, EndOfLine))
                    {
                        return (printed, true); // the reader is gone (`| head -n 1`): end as mosquitto_sub does
                    }
                    if (++printed == Count)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // --timeout with -C, or Ctrl+C.
            }
            return (printed, false);
        }
    }
}
