using System.CommandLine;
using Mqtt.Cli.Commands;

namespace Mqtt.Cli;

/// <summary>The `mqttcore` executable: see shared/design/CLI.md for the command contract.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("MqttCore: a secure MQTT 5 broker and client.");
        root.Subcommands.Add(BrokerCommand.Create());
        root.Subcommands.Add(UserCommand.Create());
        return root.Parse(args).Invoke();
    }
}
