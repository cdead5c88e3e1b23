using System.CommandLine;
using Mqtt.Client;
using Mqtt.Client.EndToEnd;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Cli.Commands;

/// <summary>`mqttcore keys show | list | trust PEER FINGERPRINT | rotate`: the user's E2E key store.</summary>
public static class KeysCommand
{
    public static Command Create()
    {
        var command = new Command("keys", "Show, list, trust and rotate end-to-end keys");
        command.Subcommands.Add(Show());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Trust());
        command.Subcommands.Add(Rotate());
        return command;
    }

    private static Option<string> UserOption() =>
        new("--user", "-u") { Description = "The user whose keys to use (default: the login name)", DefaultValueFactory = _ => Environment.UserName };

    private static Command Offline(string name, string description, Func<ParseResult, string, string, int> action, params Symbol[] extra)
    {
        var user = UserOption();
        var keys = E2eSupport.CreateKeysOption();
        var command = new Command(name, description) { user, keys };
        foreach (Symbol symbol in extra)
        {
            switch (symbol)
            {
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case Option option:
                    command.Options.Add(option);
                    break;
            }
        }
        command.SetAction(r =>
        {
            try
            {
                return action(r, r.GetValue(keys)!, r.GetValue(user)!);
            }
            catch (Exception e) when (e is E2eException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                return E2eSupport.Fail(e, r.InvocationConfiguration.Error);
            }
        });
        return command;
    }

    private static Command Show() => Offline("show", "Print the user's own fingerprint (creating the keys on first use)", (r, root, user) =>
    {
        using E2eIdentity me = E2eSupport.OpenIdentity(root, user, out _, out _);
        r.InvocationConfiguration.Output.WriteLine($"{user} {me.Fingerprint}");
        return ExitCodes.Success;
    });

    private static Command List() => Offline("list", "List the pinned peers", (r, root, user) =>
    {
        TrustStore trust = KeyStore.Open(root, user).OpenTrustStore();
        TextWriter output = r.InvocationConfiguration.Output;
        foreach (TrustedPeer peer in trust.ListPeers())
        {
            string state = peer.HasPendingChange ? $" CHANGED, offered {peer.PendingAnnouncement!.Fingerprint} (refused until trusted)" : "";
            output.WriteLine($"{peer.User} {peer.Fingerprint}{state}");
        }
        return ExitCodes.Success;
    });

    private static Command Trust()
    {
        var peer = new Argument<string>("PEER") { Description = "The peer" };
        var fingerprint = new Argument<string>("FINGERPRINT") { Description = "The fingerprint to trust (as printed by keys show)" };
        return Offline("trust", "Trust PEER's key with FINGERPRINT (accepting a changed key after checking it out of band)", (r, root, user) =>
        {
            if (!Fingerprint.TryParse(r.GetValue(fingerprint), out Fingerprint? fp))
            {
                r.InvocationConfiguration.Error.WriteLine("mqttcore: not a fingerprint (64 hex digits)");
                return ExitCodes.Usage;
            }
            TrustedPeer trusted = KeyStore.Open(root, user).OpenTrustStore().Trust(r.GetValue(peer)!, fp);
            r.InvocationConfiguration.Output.WriteLine($"trusted {trusted.User} {trusted.Fingerprint}");
            return ExitCodes.Success;
        }, peer, fingerprint);
    }

    private static Command Rotate()
    {
        var common = new ClientOptionSet();
        var keys = E2eSupport.CreateKeysOption();
        var command = new Command("rotate", "Replace the agreement key and publish the new announcement") { keys };
        common.AddTo(command);
        command.SetAction(async (ParseResult r, CancellationToken cancellationToken) =>
        {
            TextWriter error = r.InvocationConfiguration.Error;
            string user = r.GetValue(common.User) ?? Environment.UserName;
            MqttClientOptions? options = common.Build(r, error) is { } built ? E2eSupport.Bounded(built) : null;
            if (options is null)
            {
                return ExitCodes.Usage;
            }
            bool rotated = false;
            try
            {
                using E2eIdentity me = E2eSupport.OpenIdentity(r.GetValue(keys)!, user, out TrustStore trust, out _);
                // Connected first: a run that cannot reach or log in to the broker leaves the announced key in place.
                await using var client = new MqttClient(options);
                await client.ConnectAsync(cancellationToken);
                me.RotateAgreementKey();
                rotated = true;
                r.InvocationConfiguration.Output.WriteLine($"rotated the agreement key of {user} (identity {me.Fingerprint} unchanged)");
                await using var channel = new EndToEndChannel(client, me, trust);
                await channel.PublishAnnouncementAsync(E2eSupport.OwnAnnouncementWait, cancellationToken);
                await client.DisconnectAsync(cancellationToken: cancellationToken);
                return ExitCodes.Success;
            }
            catch (Exception e) when (e is E2eException or MqttException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                error.WriteLine(rotated
                    ? "note: the new key is saved; send, recv or chat publish its announcement next time."
                    : "note: nothing was rotated.");
                return E2eSupport.Fail(e, error);
            }
        });
        return command;
    }
}
