using System.CommandLine;
using System.CommandLine.Parsing;

namespace Mqtt.Cli.Commands;

/// <summary>Checks across a command's options, made while parsing: a failed one is a usage error (exit 1).</summary>
internal static class CommandChecks
{
    /// <summary>
    /// Adds <paramref name="check"/>, skipped when an option it reads has no value to give (`-m` with nothing after
    /// it, `-C x`): GetValue then throws, and the parser reports that option's own error.
    /// </summary>
    public static void AddCheck(this Command command, Action<CommandResult> check) => command.Validators.Add(result =>
    {
        try
        {
            check(result);
        }
        catch (InvalidOperationException)
        {
        }
    });
}
