using System.CommandLine;
using System.Text;
using Mqtt.Cli;
using Mqtt.Cli.Commands;

namespace Mqtt.EndToEnd.Tests;

/// <summary>What one in-process run of the CLI produced.</summary>
public sealed record CliRun(int ExitCode, string Output, string Error)
{
    public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\nstdout: {Output}\nstderr: {Error}";
}

/// <summary>Runs `mqttcore` in-process (Program.Run) with captured output, bounded by <see cref="Patience"/>.</summary>
public static class Cli
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static Task<CliRun> RunAsync(string[] args, string? stdin = null) => Task.Run(() =>
    {
        var output = new StringWriter();
        var error = new StringWriter();
        CliInput.Use(stdin is null ? TextReader.Null : new StringReader(stdin));
        int code = Program.Run(args, new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
        return new CliRun(code, output.ToString(), error.ToString());
    }).WaitAsync(Patience);

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
