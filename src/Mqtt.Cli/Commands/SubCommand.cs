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
        var retainedOnly = new Option<bool>("--retained-only") { Description = "Print only retained messages; exit at the first message without RETAIN" };
        var filterOut = new Option<string[]>("--filter-out", "-T") { Description = "Do not print messages whose topic matches FILTER (repeatable)", HelpName = "FILTER" }.ValueEachTime();
        var unsubscribe = new Option<string[]>("--unsubscribe", "-U")
        {
            Description = "Unsubscribe from FILTER once subscribed (repeatable; of use with a persistent session, -c)",
            HelpName = "FILTER",
        }.ValueEachTime();
        var exitOnceSubscribed = new Option<bool>("--exit-once-subscribed", "-E") { Description = "Exit once the broker has acknowledged the subscriptions" };
        var runTimeout = new Option<double?>("--run-timeout", "-W")
        {
            Description = "Exit 3 SECONDS after connecting unless done by then (mosquitto_sub's -W); replaces --timeout for -C",
            HelpName = "SECONDS",
        };
        var verboseTopics = new Option<bool>("--verbose-topics", "-v") { Description = "Print 'topic payload' instead of the payload alone" };
        var noEndOfLine = new Option<bool>("--no-eol", "-N") { Description = "Do not print an end of line after each message" };

        var command = new Command("sub", "Subscribe and print messages (like mosquitto_sub)");
        foreach (Option option in new Option[] { topics, qos, count, noRetained, retainedOnly, filterOut, unsubscribe, exitOnceSubscribed, runTimeout, verboseTopics, noEndOfLine })
        {
            command.Options.Add(option);
        }
        common.AddTo(command);
        var session = new SessionOptionSet();
        session.AddTo(command, common);
        var will = new WillOptionSet();
        will.AddTo(command);
        command.AddCheck(r =>
        {
            if (r.GetValue(count) is int c && c < 1)
            {
                r.AddError("-C COUNT must be at least 1");
            }
            if (r.GetValue(runTimeout) is double seconds && !(seconds > 0 && seconds <= ClientOptionSet.MaxTimeoutSeconds))
            {
                r.AddError($"-W must be more than 0 and at most {ClientOptionSet.MaxTimeoutSeconds:0} seconds, not {seconds}");
            }
            if (r.GetValue(noRetained) && r.GetValue(retainedOnly))
            {
                r.AddError("-R and --retained-only together would print nothing");
            }
            ProtocolVersion version = r.GetValue(common.Protocol) ?? ProtocolVersion.V500;
            foreach ((string flag, string[]? filters) in new[] { ("-t", r.GetValue(topics)), ("-T", r.GetValue(filterOut)), ("-U", r.GetValue(unsubscribe)) })
            {
                foreach (string filter in filters ?? [])
                {
                    if (!TopicChecks.IsTopicFilter(filter, version))
                    {
                        r.AddError($"{flag} '{filter}' is not a Topic Filter: levels split by /, + alone in its level, # alone in the last, no U+0000");
                    }
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
            session.ApplyTo(r, options);
            will.ApplyTo(r, options);
            var selection = new MessageSelection(r.GetValue(noRetained), r.GetValue(retainedOnly), r.GetValue(filterOut) ?? []);
            var subscription = new Subscription(r.GetValue(topics)!, (QualityOfService)r.GetValue(qos), r.GetValue(unsubscribe) ?? [],
                r.GetValue(exitOnceSubscribed), r.GetValue(count), selection, r.GetValue(verboseTopics), EndOfLine: !r.GetValue(noEndOfLine),
                r.GetValue(runTimeout) is double seconds ? TimeSpan.FromSeconds(seconds) : null);
            using var signals = new InterruptSignals(cancellationToken, InterruptSignals.ClientGrace);
            return await subscription.RunAsync(options, common.GetTimeout(r), new MessageOutput(output, error), error, signals.Token);
        });
        return command;
    }

    /// <summary>One run of the command.</summary>
    private sealed record Subscription(string[] Filters, QualityOfService QoS, string[] Unsubscribe, bool ExitOnceSubscribed, int? Count,
        MessageSelection Selection, bool PrintTopics, bool EndOfLine, TimeSpan? RunTimeout)
    {
        public async Task<int> RunAsync(MqttClientOptions options, TimeSpan timeout, MessageOutput output, TextWriter error, CancellationToken cancellationToken)
        {
            await using var client = new MqttClient(options);
            try
            {
                await client.ConnectAsync(cancellationToken);
                // -W counts from here, as mosquitto_sub's does; without it only -C's wait for messages has a limit, --timeout.
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                if (RunTimeout is TimeSpan runTimeout)
                {
                    deadline.CancelAfter(runTimeout);
                }
                // Printing from the start: a resumed session's queued messages come before the SUBACK, and left unread they
                // would fill the client's queue, which then stops reading the socket, SUBACK included (a probe: `sub -c`
                // never resumed a session its last reader left with a backlog of 1,800 messages; exit 3 every time).
                Task<(int Printed, bool TimedOut)>? printing = ExitOnceSubscribed ? null : PrintAsync(client, output, deadline.Token, cancellationToken);
                Task<int?> subscribing = SubscribeAsync(client, timeout, error, deadline.Token);
                if (printing is not null && await Task.WhenAny(subscribing, printing) == printing && !(await printing).TimedOut)
                {
                    // COUNT printed (or stdout closed, or Ctrl+C) from the session's backlog before the SUBACK came. The
                    // subscription then fails with the disconnection, which nobody needs to hear of (left unobserved, the
                    // finalizer reported it: a test host that checks for that failed).
                    _ = subscribing.ContinueWith(static t => t.Exception, CancellationToken.None,
                        TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    await client.DisconnectAsync(cancellationToken: CancellationToken.None);
                    return ExitCodes.Success;
                }
                int? refused;
                try
                {
                    refused = await subscribing;
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    return await TimedOutAsync(client, printing is null ? 0 : (await printing).Printed, timeout, error);
                }
                if (refused is int code)
                {
                    await deadline.CancelAsync();
                    if (printing is not null)
                    {
                        await printing;
                    }
                    // As mosquitto_sub: a deliberate end, so a --will-* Will is dropped, not published.
                    await client.DisconnectAsync(cancellationToken: CancellationToken.None);
                    return code;
                }
                if (printing is not null)
                {
                    if (RunTimeout is null && Count is not null)
                    {
                        deadline.CancelAfter(timeout);
                    }
                    (int printed, bool timedOut) = await printing;
                    if (timedOut)
                    {
                        return await TimedOutAsync(client, printed, timeout, error);
                    }
                }
                await client.DisconnectAsync(cancellationToken: CancellationToken.None);
                return ExitCodes.Success;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Success; // Ctrl+C or SIGTERM before the subscription was in place
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

        /// <summary>
        /// Prints messages until COUNT, the end of retained ones (--retained-only), stdout closing, Ctrl+C, or the deadline
        /// (-W, or --timeout with -C): then TimedOut.
        /// </summary>
        private async Task<(int Printed, bool TimedOut)> PrintAsync(MqttClient client, MessageOutput output, CancellationToken deadline, CancellationToken interrupted)
        {
            int printed = 0;
            try
            {
                await foreach (MqttApplicationMessage message in client.ReadMessagesAsync(deadline))
                {
                    SelectionVerdict verdict = Selection.Judge(message);
                    if (verdict == SelectionVerdict.End)
                    {
                        break;
                    }
                    if (verdict == SelectionVerdict.Skip)
                    {
                        continue;
                    }
                    string payload = Encoding.UTF8.GetString(message.Payload.Span);
                    if (!output.TryWrite(PrintTopics ? $"{message.Topic} {payload}" : payload, EndOfLine))
                    {
                        break; // the reader is gone (`| head -n 1`): end as mosquitto_sub does
                    }
                    if (++printed == Count)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM end the command as any run ends, with DISCONNECT (exit 0); the deadline, with exit 3.
                return (printed, !interrupted.IsCancellationRequested);
            }
            return (printed, false);
        }

        /// <summary>-W, or --timeout with -C, passed: DISCONNECT first, as any run ends, then exit 3.</summary>
        private async Task<int> TimedOutAsync(MqttClient client, int printed, TimeSpan timeout, TextWriter error)
        {
            error.WriteLine(RunTimeout is TimeSpan limit
                ? $"timeout: -W {limit.TotalSeconds:0.###} s passed{(Count is int wanted ? $" with {printed} of {wanted} messages" : "")}"
                : $"timeout: {printed} of {Count} messages within {timeout.TotalSeconds:0.###} s");
            await client.DisconnectAsync(cancellationToken: CancellationToken.None);
            return ExitCodes.Timeout;
        }

        /// <summary>SUBSCRIBE, then UNSUBSCRIBE for -U; the exit code when the broker refused one, else null.</summary>
        private async Task<int?> SubscribeAsync(MqttClient client, TimeSpan timeout, TextWriter error, CancellationToken cancellationToken)
        {
            var filters = new MqttTopicFilter[Filters.Length];
            for (int i = 0; i < filters.Length; i++)
            {
                filters[i] = new MqttTopicFilter(Filters[i], QoS);
            }
            MqttSubscribeResult subscribed = await BrokerAnswer.WithinAsync(token => client.SubscribeAsync(filters, token), timeout, cancellationToken);
            if (Refused(subscribed.ReasonCodes, Filters, error))
            {
                return ExitCodes.Refused;
            }
            if (Unsubscribe.Length > 0)
            {
                MqttUnsubscribeResult unsubscribed = await BrokerAnswer.WithinAsync(token => client.UnsubscribeAsync(Unsubscribe, token), timeout, cancellationToken);
                if (Refused(unsubscribed.ReasonCodes, Unsubscribe, error))
                {
                    return ExitCodes.Refused;
                }
            }
            return null;
        }

        /// <summary>Writes the first failure code (0x80 or more) with its filter; 0x11 No subscription existed is not one.</summary>
        private static bool Refused(IReadOnlyList<ReasonCode> reasonCodes, string[] filters, TextWriter error)
        {
            for (int i = 0; i < reasonCodes.Count; i++)
            {
                if ((byte)reasonCodes[i] >= 0x80)
                {
                    error.WriteLine($"refused: {MqttReasonCodeText.Format(reasonCodes[i])} ({(i < filters.Length ? filters[i] : "?")})");
                    return true;
                }
            }
            return false;
        }
    }
}
