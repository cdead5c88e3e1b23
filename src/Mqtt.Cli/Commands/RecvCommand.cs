using System.CommandLine;
using System.Text;
using Mqtt.Client;
using Mqtt.Client.EndToEnd;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Cli.Commands;

/// <summary>
/// `mqttcore recv -u NAME --from PEER [-C COUNT] [--raw]`: prints each message opened from PEER on one line, control
/// characters escaped (<see cref="PrintableText"/>) unless --raw. Without -i it connects as
/// `mqttcore-recv-NAME-PEER-TAG` (TAG: random, kept in the key store, so nobody can take the id first) with Clean Start
/// 0 and a one-week session, so messages PEER sends while it is not running
/// wait in the broker's session (QoS 1) for the next run. Envelopes are acknowledged once opened, so those left unread
/// when -C COUNT is reached stay queued; the replay state in the key store keeps a redelivery from being shown twice.
/// </summary>
public static class RecvCommand
{
    public static Command Create()
    {
        var common = new ClientOptionSet();
        var keys = E2eSupport.CreateKeysOption();
        var from = new Option<string>("--from") { Description = "The sender to read from", Required = true };
        var count = new Option<int?>("--count", "-C") { Description = "Exit after COUNT messages" };
        var raw = new Option<bool>("--raw")
        {
            Description = "Print each message exactly as sent; by default control characters and line breaks are escaped (\\n, \\x1b) so one message is one line",
        };
        var command = new Command("recv", "Receive and open end-to-end messages from a peer");
        foreach (Option option in new Option[] { from, count, raw, keys })
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
            if (r.GetValue(common.User) is null)
            {
                r.AddError("recv needs -u NAME (the recipient)");
            }
            E2eSupport.RequireUserNames(r, (r.GetValue(common.User), "-u"), (r.GetValue(from), "--from"));
            if (r.GetValue(common.IdPrefix) is not null)
            {
                // Its persistent session is found again by the client id, which -I changes with every run.
                r.AddError("recv keeps its session under one client id: give it with -i, not -I");
            }
        });
        command.SetAction(async (ParseResult r, CancellationToken cancellationToken) =>
        {
            TextWriter output = r.InvocationConfiguration.Output;
            TextWriter error = r.InvocationConfiguration.Error;
            MqttClientOptions? options = common.Build(r, error) is { } built ? E2eSupport.Bounded(built) : null;
            if (options is null)
            {
                return ExitCodes.Usage;
            }
            string user = r.GetValue(common.User)!;
            string peer = r.GetValue(from)!;
            int? wanted = r.GetValue(count);
            bool verbatim = r.GetValue(raw);
            TimeSpan timeout = common.GetTimeout(r);
            bool defaultId = r.GetValue(common.Id) is null;
            options.CleanStart = false;
            options.SessionExpiryInterval = E2eSupport.RecvSessionExpirySeconds;
            options.AutomaticAcknowledgement = false;
            var lines = new MessageOutput(output, error);
            using var signals = new InterruptSignals(cancellationToken, InterruptSignals.ClientGrace);
            cancellationToken = signals.Token;
            try
            {
                using E2eIdentity me = E2eSupport.OpenIdentity(r.GetValue(keys)!, user, out TrustStore trust, out KeyStore store);
                if (defaultId)
                {
                    options.ClientId = $"mqttcore-recv-{user}-{peer}-{store.ClientIdTag()}";
                }
                await using var client = new MqttClient(options);
                await using var channel = new EndToEndChannel(client, me, trust, store);
                await client.ConnectAsync(cancellationToken);
                await BrokerAnswer.WithinAsync(token => channel.PublishAnnouncementAsync(E2eSupport.OwnAnnouncementWait, token), timeout, cancellationToken, E2eSupport.OwnAnnouncementWait);
                try
                {
                    E2eSupport.Report(await BrokerAnswer.WithinAsync(token => channel.AgreeKeyAsync(peer, E2eSupport.OwnAnnouncementWait, token), timeout, cancellationToken, E2eSupport.OwnAnnouncementWait), peer, trust, error);
                }
                catch (E2eException e) when (e.Error == E2eError.UnknownKey)
                {
                    // Not announced yet: its announcement is picked up when it comes (we listen to PEER/pubKey).
                    error.WriteLine($"notice: {peer} has not announced a key yet (nothing retained on {peer}/pubKey): their messages open once they run send, recv or chat.");
                }
                await BrokerAnswer.WithinAsync(token => channel.ListenAsync(peer, token), timeout, cancellationToken);

                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                if (wanted is not null)
                {
                    deadline.CancelAfter(timeout);
                }
                int printed = 0;
                bool outputClosed = false;
                try
                {
                    await foreach (EndToEndMessage message in channel.ReadAsync(deadline.Token))
                    {
                        if (message.Sender != peer)
                        {
                            continue;
                        }
                        if (message.Trust is TrustResult pinned)
                        {
                            // Its first announcement came after start-up: the fingerprint to compare, as at start-up.
                            E2eSupport.Report(pinned, peer, trust, error);
                        }
                        if (message.Kind == EndToEndMessageKind.Message)
                        {
                            string text = Encoding.UTF8.GetString(message.Plaintext.Span);
                            if (!lines.TryWriteLine(verbatim ? text : PrintableText.Escape(text)))
                            {
                                outputClosed = true; // the reader is gone (`| head -n 1`)
                                break;
                            }
                            if (++printed == wanted)
                            {
                                break;
                            }
                            continue;
                        }
                        E2eSupport.Warn(message, error);
                        if (message.Kind == EndToEndMessageKind.Failure)
                        {
                            return ExitCodes.EndToEndCheckFailed;
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    // --timeout with -C, or Ctrl+C: either way a clean DISCONNECT below.
                }
                if (wanted is int w && printed < w && !outputClosed && !cancellationToken.IsCancellationRequested)
                {
                    error.WriteLine($"timeout: {printed} of {w} messages within {timeout.TotalSeconds:0.###} s");
                    return ExitCodes.Timeout;
                }
                await client.DisconnectAsync(cancellationToken: CancellationToken.None);
                return ExitCodes.Success;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Success;
            }
            catch (Exception e) when (e is E2eException or MqttException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                return E2eSupport.Fail(e, error);
            }
        });
        return command;
    }
}
