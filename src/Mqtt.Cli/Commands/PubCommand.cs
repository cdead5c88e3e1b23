using System.CommandLine;
using Mqtt.Client;
using Mqtt.Codec;

namespace Mqtt.Cli.Commands;

/// <summary>`mqttcore pub`: publishes one message (-m, -f, -n) or one per stdin line (-s, -l); exit 0 once acknowledged at the asked QoS.</summary>
public static class PubCommand
{
    public static Command Create()
    {
        var common = new ClientOptionSet();
        var topic = new Option<string>("--topic", "-t") { Description = "Topic to publish to", Required = true };
        var message = new Option<string?>("--message", "-m") { Description = "Message payload" };
        var file = new Option<string?>("--file", "-f") { Description = "Send the contents of FILE as the message" };
        // -l is mosquitto_pub's name for it (its `--stdin-line`); our -s came first and keeps this meaning (docs/cli.md).
        var stdin = new Option<bool>("--stdin-line", "-s", "-l") { Description = "Publish one message per line of stdin" };
        var nullMessage = new Option<bool>("--null-message", "-n") { Description = "Send a null (zero-length) message" };
        var qos = new Option<int>("--qos", "-q") { Description = "Quality of service: 0, 1 or 2", DefaultValueFactory = _ => 0 };
        qos.AcceptOnlyFromAmong("0", "1", "2");
        var retain = new Option<bool>("--retain", "-r") { Description = "Ask the broker to retain the message" };

        var command = new Command("pub", "Publish a message (like mosquitto_pub)");
        foreach (Option option in new Option[] { topic, message, file, stdin, nullMessage, qos, retain })
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
            int sources = (r.GetValue(message) is null ? 0 : 1) + (r.GetValue(file) is null ? 0 : 1) + (r.GetValue(stdin) ? 1 : 0)
                + (r.GetValue(nullMessage) ? 1 : 0);
            if (sources != 1)
            {
                r.AddError("give exactly one of -m MSG, -f FILE, -s (or -l) or -n");
            }
            if (r.GetValue(stdin) && r.GetValue(common.PasswordStdin))
            {
                r.AddError("-s (or -l) and --password-stdin both read stdin");
            }
            if (r.GetValue(topic) is string name && !TopicChecks.IsTopicName(name))
            {
                r.AddError($"-t '{name}' is not a Topic Name: one or more characters, no + or # (those are for sub), no U+0000, at most 65,535 bytes");
            }
            if (r.GetValue(file) is string path && !File.Exists(path))
            {
                r.AddError(Directory.Exists(path) ? $"-f {path}: a folder, not a file" : $"-f {path}: no such file");
            }
        });
        command.SetAction(async (ParseResult r, CancellationToken cancellationToken) =>
        {
            TextWriter error = r.InvocationConfiguration.Error;
            MqttClientOptions? options = common.Build(r, error);
            if (options is null)
            {
                return ExitCodes.Usage;
            }
            session.ApplyTo(r, options);
            will.ApplyTo(r, options);
            var publication = new Publication(r.GetValue(topic)!, (QualityOfService)r.GetValue(qos), r.GetValue(retain));
            try
            {
                IAsyncEnumerable<ReadOnlyMemory<byte>> payloads = r.GetValue(stdin)
                    ? ReadLinesAsync(CliInput.Reader, cancellationToken)
                    : Single(r.GetValue(nullMessage) ? []
                        : r.GetValue(file) is string path ? await File.ReadAllBytesAsync(path, cancellationToken)
                        : System.Text.Encoding.UTF8.GetBytes(r.GetValue(message)!));
                return await publication.RunAsync(options, payloads, common.GetTimeout(r), error, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return ClientOptionSet.Fail(e, error);
            }
        });
        return command;
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Single(byte[] payload)
    {
        await Task.CompletedTask;
        yield return payload;
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadLinesAsync(TextReader reader,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await reader.ReadLineAsync(cancellationToken) is string line)
        {
            yield return System.Text.Encoding.UTF8.GetBytes(line);
        }
    }

    /// <summary>One run of the command: connect, publish each payload and wait for its acknowledgement, disconnect.</summary>
    private sealed record Publication(string Topic, QualityOfService QoS, bool Retain)
    {
        public async Task<int> RunAsync(MqttClientOptions options, IAsyncEnumerable<ReadOnlyMemory<byte>> payloads, TimeSpan timeout,
            TextWriter error, CancellationToken cancellationToken)
        {
            await using var client = new MqttClient(options);
            try
            {
                await client.ConnectAsync(cancellationToken);
                await foreach (ReadOnlyMemory<byte> payload in payloads.WithCancellation(cancellationToken))
                {
                    using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    deadline.CancelAfter(timeout);
                    MqttPublishResult result;
                    try
                    {
                        result = await client.PublishAsync(Topic, payload, QoS, Retain, deadline.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        error.WriteLine($"timeout: no acknowledgement within {timeout.TotalSeconds:0.###} s");
                        return await EndAsync(client, ExitCodes.Timeout);
                    }
                    if (!result.IsSuccess)
                    {
                        error.WriteLine($"refused: {MqttReasonCodeText.Format(result.ReasonCode)}");
                        return await EndAsync(client, ExitCodes.Refused);
                    }
                }
                await client.DisconnectAsync(cancellationToken: cancellationToken);
                return ExitCodes.Success;
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
        /// Ends a run the broker refused or did not answer with DISCONNECT, as mosquitto_pub does: a deliberate end, so
        /// the broker drops a --will-* Will (closing without it would have the Will published).
        /// </summary>
        private static async Task<int> EndAsync(MqttClient client, int exitCode)
        {
            await client.DisconnectAsync(cancellationToken: CancellationToken.None);
            return exitCode;
        }
    }
}
