using System.CommandLine;
using Mqtt.Cli.Commands;

namespace Mqtt.Cli;

/// <summary>The `mqttcore` executable: see shared/design/CLI.md for the command contract.</summary>
public static class Program
{
    public static int Main(string[] args) => Run(args, new InvocationConfiguration());

    /// <summary>Runs a command line with the given output and error writers (in-process tests use this).</summary>
    public static int Run(string[] args, InvocationConfiguration configuration)
    {
        var root = new RootCommand("MqttCore: a secure MQTT 5 broker and client.");
        // -h is --host in the client commands (as in mosquitto_pub/sub); help stays on --help and -?.
        foreach (Option option in root.Options)
        {
            option.Aliases.Remove("-h");
        }
        root.Subcommands.Add(BrokerCommand.Create());
        root.Subcommands.Add(UserCommand.Create());
        root.Subcommands.Add(PubCommand.Create());
        root.Subcommands.Add(SubCommand.Create());
        root.Subcommands.Add(RegisterCommand.Create());
        root.Subcommands.Add(SendCommand.Create());
        root.Subcommands.Add(RecvCommand.Create());
        root.Subcommands.Add(KeysCommand.Create());
        root.Subcommands.Add(ChatCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root.Parse(args).Invoke(configuration);
    }
}
