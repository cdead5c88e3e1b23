using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using Mqtt.Cli.Commands;

namespace Mqtt.Cli;

/// <summary>The `mqttcore` executable: see shared/design/CLI.md for the command contract.</summary>
public static partial class Program
{
    public static int Main(string[] args)
    {
        if (args is ["sub" or "recv" or "broker", ..])
        {
            InterruptSignals.HandleSigIntEvenIfIgnored(); // they promise to end on SIGINT, even as background jobs
        }
        if (args is ["broker", ..])
        {
            PreferInlineSocketCompletions();
        }
        return Run(args, new InvocationConfiguration());
    }

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
        // No response files: "@text" is a value like any other (a payload, a password, a topic), as mosquitto_pub takes it.
        ParseResult parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        List<string> errors = [.. parsed.Errors.Select(error => Readable(error.Message)), .. NotUtf8(parsed)];
        if (errors.Count > 0)
        {
            // On stderr, in words a user knows (not .NET type names), and stdout left clean for scripts.
            foreach (string error in errors)
            {
                configuration.Error.WriteLine($"mqttcore: {error}");
            }
            configuration.Error.WriteLine($"Run '{CommandLineOf(parsed)} --help' for usage.");
            return ExitCodes.Usage;
        }
        return parsed.Invoke(configuration);
    }

    /// <summary>
    /// Values that lost bytes in decoding (<see cref="DecodedText.LostBytes"/>) are refused, as mosquitto_pub refuses a
    /// topic that is not UTF-8. Not -m and --will-payload, whose text is a payload (docs/cli.md: sent as its UTF-8 bytes).
    /// </summary>
    private static IEnumerable<string> NotUtf8(ParseResult parsed)
    {
        foreach (SymbolResult child in parsed.CommandResult.Children)
        {
            (string name, bool payload) = child switch
            {
                OptionResult option => (option.Option.Name, option.Option.Name is "--message" or "--will-payload"),
                ArgumentResult argument => (argument.Argument.Name, false),
                _ => ("", true),
            };
            if (!payload && child.Tokens.Any(token => DecodedText.LostBytes(token.Value)))
            {
                yield return $"{name} is not valid UTF-8 (or holds U+FFFD)";
            }
        }
    }

    /// <summary>"mqttcore user add" for the command the user ran (the root command's own name is the host's).</summary>
    private static string CommandLineOf(ParseResult parsed)
    {
        var names = new Stack<string>();
        for (CommandResult? command = parsed.CommandResult; command?.Parent is CommandResult parent; command = parent)
        {
            names.Push(command.Command.Name);
        }
        return string.Join(' ', ["mqttcore", .. names]);
    }

    /// <summary>"Cannot parse argument 'x' for option '--port' as expected type 'System.Nullable`1[System.Int32]'" in the user's words.</summary>
    private static string Readable(string message)
    {
        Match typed = TypedParseError().Match(message);
        if (!typed.Success)
        {
            return message;
        }
        string type = typed.Groups["type"].Value;
        string expected = type.Contains("Int", StringComparison.Ordinal) ? "a whole number"
            : type.Contains("Double", StringComparison.Ordinal) ? "a number"
            : type.Contains("Boolean", StringComparison.Ordinal) ? "true or false"
            : "another value";
        return $"{typed.Groups["option"].Value} needs {expected}, not '{typed.Groups["value"].Value}'";
    }

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for option '(?<option>.*)' as expected type '(?<type>.*)'\.?$")]
    private static partial Regex TypedParseError();

    /// <summary>
    /// Socket completions run on the socket engine's own threads instead of hopping to the thread pool: a broker
    /// that does nothing blocking on its connections saves that hop and wake-up per receive, about a fifth of its
    /// CPU per message at a steady rate (docs/PERF.md). The runtime reads this variable only when the first socket
    /// is created, hence here, before anything else; a value already set (e.g. 0) wins.
    /// </summary>
    private static void PreferInlineSocketCompletions()
    {
        const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }
}
