namespace Mqtt.Cli.Commands;

/// <summary>Standard input for commands, replaceable per async flow so that in-process tests can feed it.</summary>
public static class CliInput
{
    private static readonly AsyncLocal<TextReader?> s_override = new();

    /// <summary>The reader commands use: the override when set, else the console's standard input.</summary>
    public static TextReader Reader => s_override.Value ?? Console.In;

    /// <summary>Uses <paramref name="reader"/> as standard input for the current async flow.</summary>
    public static void Use(TextReader? reader) => s_override.Value = reader;
}
