using System.CommandLine;

namespace Mqtt.Cli;

/// <summary>The `mqttcore` executable: see shared/design/CLI.md for the command contract.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("MqttCore: a secure MQTT 5 broker and client.");
        return root.Parse(args).Invoke();
    }
}
