using System.CommandLine;
using System.Text;
using Mqtt.Client;
using Mqtt.Client.EndToEnd;
using Mqtt.Codec;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Cli.Commands;

/// <summary>
/// `mqttcore chat -u NAME`: the original interactive client. Commands on stdin: `agreekey PEER`, `send-message PEER`
/// followed by a line of text, `fingerprint [PEER]`, `quit`. Prints `PEER: text` for each message, control characters
/// escaped (<see cref="PrintableText"/>), and warnings for duplicates, refused messages and changed keys. Exit 0 at
/// `quit` or end of input.
/// </summary>
public static class ChatCommand
{
    private const string Help = "commands: agreekey PEER | send-message PEER (then a line of text) | fingerprint [PEER] | quit";

    public static Command Create()
    {
        var common = new ClientOptionSet();
        var keys = E2eSupport.CreateKeysOption();
        var command = new Command("chat", "Interactive end-to-end chat (agreekey, send-message, fingerprint, quit on stdin)") { keys };
        common.AddTo(command);
        command.AddCheck(r =>
        {
            if (r.GetValue(common.User) is null)
            {
                r.AddError("chat needs -u NAME");
            }
            E2eSupport.RequireUserNames(r, (r.GetValue(common.User), "-u"));
            if (r.GetValue(common.PasswordStdin))
            {
                r.AddError("chat reads commands from stdin: use -P or MQTTCORE_PASSWORD");
            }
        });
        command.SetAction(async (ParseResult r, CancellationToken cancellationToken) =>
        {
            TextWriter error = r.InvocationConfiguration.Error;
            MqttClientOptions? options = common.Build(r, error) is { } built ? E2eSupport.Bounded(built) : null;
            if (options is null)
            {
                return ExitCodes.Usage;
            }
            options.AutomaticAcknowledgement = false;
            string user = r.GetValue(common.User)!;
            try
            {
                using E2eIdentity me = E2eSupport.OpenIdentity(r.GetValue(keys)!, user, out TrustStore trust, out KeyStore store);
                await using var client = new MqttClient(options);
                await using var channel = new EndToEndChannel(client, me, trust, store);
                await client.ConnectAsync(cancellationToken);
                await channel.PublishAnnouncementAsync(E2eSupport.OwnAnnouncementWait, cancellationToken);
                var session = new Session(channel, trust, common.GetTimeout(r), new SynchronizedOutput(r.InvocationConfiguration.Output), error);
                return await session.RunAsync(CliInput.Reader, cancellationToken);
            }
            catch (Exception e) when (e is E2eException or MqttException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                return E2eSupport.Fail(e, error);
            }
        });
        return command;
    }

    /// <summary>Serialises lines written by the reading and the receiving tasks.</summary>
    private sealed class SynchronizedOutput(TextWriter writer)
    {
        private readonly Lock sync = new();

        public void Line(string text)
        {
            lock (sync)
            {
                writer.WriteLine(text);
                writer.Flush();
            }
        }
    }

    private sealed class Session(EndToEndChannel channel, TrustStore trust, TimeSpan timeout, SynchronizedOutput output, TextWriter error)
    {
        private readonly HashSet<string> agreed = new(StringComparer.Ordinal);

        public async Task<int> RunAsync(TextReader input, CancellationToken cancellationToken)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task receiving = Task.Run(() => ReceiveAsync(stop.Token), CancellationToken.None);
            output.Line($"you are {channel.User}, fingerprint {channel.Fingerprint}. {Help}");
            try
            {
                while (await input.ReadLineAsync(cancellationToken) is string line)
                {
                    // The command and the rest: a user name may hold a space (`agreekey mary ann`).
                    string[] words = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (words.Length == 0)
                    {
                        continue;
                    }
                    switch (words[0])
                    {
                        case "quit":
                            return ExitCodes.Success;
                        case "fingerprint" when words.Length == 2 && E2eSupport.InvalidUserName(words[1], "peer") is string invalid:
                            output.Line(invalid);
                            break;
                        case "agreekey" when words.Length == 2:
                            await AgreeAsync(words[1], cancellationToken);
                            break;
                        case "send-message" when words.Length == 2:
                            if (await input.ReadLineAsync(cancellationToken) is not string text)
                            {
                                output.Line($"WARNING: input ended before the message to {words[1]}: NOT sent");
                                return ExitCodes.Success;
                            }
                            await SendAsync(words[1], text, cancellationToken);
                            break;
                        case "fingerprint" when words.Length == 1:
                            output.Line($"{channel.User} {channel.Fingerprint}");
                            break;
                        case "fingerprint" when words.Length == 2:
                            output.Line(trust.TryGetPeer(words[1], out TrustedPeer? peer)
                                ? $"{peer.User} {peer.Fingerprint}{(peer.HasPendingChange ? $" (CHANGED: offered {peer.PendingAnnouncement!.Fingerprint}, refused)" : "")}"
                                : $"no key pinned for {words[1]}: agreekey {words[1]}");
                            break;
                        default:
                            output.Line($"unknown command '{line}'. {Help}");
                            break;
                    }
                }
                return ExitCodes.Success;
            }
            finally
            {
                await stop.CancelAsync();
                await receiving;
            }
        }

        private async Task<bool> AgreeAsync(string peer, CancellationToken cancellationToken)
        {
            if (E2eSupport.InvalidUserName(peer, "peer") is string invalid)
            {
                output.Line(invalid);
                return false;
            }
            try
            {
                TrustResult result = await channel.AgreeKeyAsync(peer, timeout, cancellationToken);
                await channel.ListenAsync(peer, cancellationToken);
                agreed.Add(peer);
                E2eSupport.Report(result, peer, trust, error);
                trust.TryGetPeer(peer, out TrustedPeer? pinned);
                output.Line($"agreed key with {peer}: {pinned?.Fingerprint}");
                return true;
            }
            catch (E2eException e)
            {
                E2eSupport.Fail(e, error);
                output.Line($"WARNING: no secure channel with {peer} (see above)");
                return false;
            }
        }

        private async Task SendAsync(string peer, string text, CancellationToken cancellationToken)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            if (E2eSupport.TooLong(bytes, error))
            {
                output.Line($"WARNING: message to {peer} NOT sent");
                return;
            }
            if (!agreed.Contains(peer) && !await AgreeAsync(peer, cancellationToken))
            {
                output.Line($"WARNING: message to {peer} NOT sent");
                return;
            }
            try
            {
                MqttPublishResult result = await channel.SendAsync(peer, bytes, cancellationToken);
                if (!result.IsSuccess)
                {
                    output.Line($"WARNING: message to {peer} refused by the broker: {MqttReasonCodeText.Format(result.ReasonCode)}");
                }
                else if (result.ReasonCode == ReasonCode.NoMatchingSubscribers)
                {
                    output.Line($"WARNING: {E2eSupport.NobodyListens(channel.User, peer)}");
                }
            }
            catch (E2eException e)
            {
                E2eSupport.Fail(e, error);
                output.Line($"WARNING: message to {peer} NOT sent");
            }
        }

        private async Task ReceiveAsync(CancellationToken cancellationToken)
        {
            try
            {
                await foreach (EndToEndMessage message in channel.ReadAsync(cancellationToken))
                {
                    if (message.Trust is TrustResult pinned && E2eSupport.Notice(pinned, message.Sender, trust) is string notice)
                    {
                        output.Line(PrintableText.Escape(notice));
                    }
                    // Escaped: the text (and a sender taken from the topic) is the peer's to choose; one message, one line.
                    output.Line(PrintableText.Escape(message.Kind == EndToEndMessageKind.Message
                        ? $"{message.Sender}: {Encoding.UTF8.GetString(message.Plaintext.Span)}"
                        : $"WARNING: {(message.Kind == EndToEndMessageKind.Duplicate ? "duplicate" : "refused")} message from {message.Sender}: {message.Description}"));
                }
            }
            catch (OperationCanceledException)
            {
                // quit
            }
            catch (MqttException e)
            {
                output.Line($"WARNING: connection lost: {e.Message}");
            }
        }
    }
}
