using System.CommandLine;
using System.Text;
using Mqtt.Client;
using Mqtt.Client.EndToEnd;
using Mqtt.Codec;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Cli.Commands;

/// <summary>`mqttcore send -u NAME --to PEER (-m MSG | -s)`: seals to PEER and publishes on NAME/PEER/messages at QoS 1.</summary>
public static class SendCommand
{
    public static Command Create()
    {
        var common = new ClientOptionSet();
        var keys = E2eSupport.CreateKeysOption();
        var to = new Option<string>("--to") { Description = "The recipient", Required = true };
        var message = new Option<string?>("--message", "-m") { Description = "The message" };
        var stdin = new Option<bool>("--stdin-line", "-s") { Description = "Send one message per line of stdin" };
        var command = new Command("send", "Seal a message to a peer (end-to-end) and publish it");
        foreach (Option option in new Option[] { to, message, stdin, keys })
        {
            command.Options.Add(option);
        }
        common.AddTo(command);
        command.AddCheck(r =>
        {
            if ((r.GetValue(message) is null) == !r.GetValue(stdin))
            {
                r.AddError("give exactly one of -m MSG or -s");
            }
            if (r.GetValue(common.User) is null)
            {
                r.AddError("send needs -u NAME (the sender)");
            }
            E2eSupport.RequireUserNames(r, (r.GetValue(common.User), "-u"), (r.GetValue(to), "--to"));
            if (r.GetValue(stdin) && r.GetValue(common.PasswordStdin))
            {
                r.AddError("-s and --password-stdin both read stdin");
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
            if (!r.GetValue(stdin) && E2eSupport.TooLong(Encoding.UTF8.GetBytes(r.GetValue(message)!), error))
            {
                return ExitCodes.Usage; // known before connecting
            }
            string user = r.GetValue(common.User)!;
            string peer = r.GetValue(to)!;
            TimeSpan timeout = common.GetTimeout(r);
            try
            {
                using E2eIdentity me = E2eSupport.OpenIdentity(r.GetValue(keys)!, user, out TrustStore trust, out _);
                await using var client = new MqttClient(options);
                await client.ConnectAsync(cancellationToken);
                await using var channel = new EndToEndChannel(client, me, trust);
                await BrokerAnswer.WithinAsync(token => channel.PublishAnnouncementAsync(E2eSupport.OwnAnnouncementWait, token), timeout, cancellationToken, E2eSupport.OwnAnnouncementWait);
                E2eSupport.Report(await BrokerAnswer.WithinAsync(token => channel.AgreeKeyAsync(peer, timeout, token), timeout, cancellationToken, timeout), peer, trust, error);
                IEnumerable<string> lines = r.GetValue(stdin) ? ReadLines(CliInput.Reader) : [r.GetValue(message)!];
                bool warnedNobody = false;
                foreach (string line in lines)
                {
                    using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    deadline.CancelAfter(timeout);
                    MqttPublishResult result;
                    try
                    {
                        byte[] bytes = Encoding.UTF8.GetBytes(line);
                        if (E2eSupport.TooLong(bytes, error))
                        {
                            return ExitCodes.Usage;
                        }
                        result = await channel.SendAsync(peer, bytes, deadline.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        error.WriteLine($"timeout: no acknowledgement within {timeout.TotalSeconds:0.###} s");
                        return ExitCodes.Timeout;
                    }
                    if (!result.IsSuccess)
                    {
                        error.WriteLine($"refused: {MqttReasonCodeText.Format(result.ReasonCode)}");
                        return ExitCodes.Refused;
                    }
                    if (result.ReasonCode == ReasonCode.NoMatchingSubscribers && !warnedNobody)
                    {
                        warnedNobody = true;
                        error.WriteLine($"warning: {E2eSupport.NobodyListens(user, peer)}");
                    }
                }
                await client.DisconnectAsync(cancellationToken: cancellationToken);
                return ExitCodes.Success;
            }
            catch (Exception e) when (e is E2eException or MqttException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                return E2eSupport.Fail(e, error);
            }
        });
        return command;
    }

    private static IEnumerable<string> ReadLines(TextReader reader)
    {
        while (reader.ReadLine() is string line)
        {
            yield return line;
        }
    }
}
