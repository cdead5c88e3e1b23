using System.Collections.Concurrent;
using System.CommandLine;
using System.Text;
using Mqtt.Cli;
using Mqtt.Cli.Commands;

namespace Mqtt.EndToEnd.Tests;

/// <summary>An interactive in-process run (chat): lines are fed while it runs, output is read while it runs.</summary>
public sealed class Interactive
{
    private readonly LineFeed input = new();
    private readonly SharedWriter output = new();
    private readonly SharedWriter error = new();
    private readonly Task<int> run;

    public Interactive(string[] args)
    {
        run = Task.Run(() =>
        {
            CliInput.Use(input);
            return Program.Run(args, new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
        });
    }

    public string Output => output.ToString();

    public string Error => error.ToString();

    public void Send(string line) => input.Add(line);

    public async Task WaitForAsync(string text)
    {
        using var deadline = new CancellationTokenSource(Cli.Patience);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (run.IsCompleted)
            {
                throw new InvalidOperationException($"chat ended (exit {run.Result}) before '{text}'. stdout: {Output} stderr: {Error}");
            }
            try
            {
                await Task.Delay(20, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"'{text}' did not appear. stdout: {Output} stderr: {Error}");
            }
        }
    }

    public async Task<int> QuitAsync()
    {
        input.Add("quit");
        return await run.WaitAsync(Cli.Patience);
    }

    /// <summary>Ends the input (as Ctrl-D does) and waits for the exit code.</summary>
    public async Task<int> EndInputAsync()
    {
        input.End();
        return await run.WaitAsync(Cli.Patience);
    }

    private sealed class LineFeed : TextReader
    {
        private readonly BlockingCollection<string> lines = new();

        public void Add(string line) => lines.Add(line);

        public void End() => lines.CompleteAdding();

        public override string? ReadLine() => lines.TryTake(out string? line, Cli.Patience) ? line : null;

        public override ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken) =>
            new(Task.Run(() => lines.TryTake(out string? line, (int)Cli.Patience.TotalMilliseconds, cancellationToken) ? line : null, cancellationToken));
    }

    private sealed class SharedWriter : TextWriter
    {
        private readonly StringBuilder text = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (text)
            {
                text.Append(value);
            }
        }

        public override void Write(string? value)
        {
            lock (text)
            {
                text.Append(value);
            }
        }

        public override string ToString()
        {
            lock (text)
            {
                return text.ToString();
            }
        }
    }
}
