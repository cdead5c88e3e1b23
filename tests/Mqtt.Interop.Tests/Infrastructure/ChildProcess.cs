using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace Mqtt.Interop.Tests;

/// <summary>
/// A peer program run as a child process: stdout lines are queued for the test, stderr is kept, every wait is
/// bounded, and disposing kills whatever is still running.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Task _stdoutDone;
    private readonly Task _stderrDone;

    private ChildProcess(Process process, string commandLine)
    {
        _process = process;
        CommandLine = commandLine;
        _stdoutDone = PumpAsync(process.StandardOutput, _stdout, _lines.Writer);
        _stderrDone = PumpAsync(process.StandardError, _stderr, null);
    }

    public string CommandLine { get; }

    public int Id => _process.Id;

    public string StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, string? standardInput = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        Process process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        var child = new ChildProcess(process, fileName + " " + string.Join(' ', info.ArgumentList));
        if (standardInput is not null)
        {
            process.StandardInput.Write(standardInput);
        }
        process.StandardInput.Close();
        return child;
    }

    /// <summary>Runs to completion within <see cref="Waits.Process"/>; returns the exit code.</summary>
    public static async Task<(int ExitCode, string StandardOutput, string StandardError)> RunAsync(string fileName, IEnumerable<string> arguments, string? standardInput = null)
    {
        await using ChildProcess child = Start(fileName, arguments, standardInput);
        int code = await child.WaitForExitAsync(Waits.Process);
        return (code, child.StandardOutput, child.StandardError);
    }

    /// <summary>The next stdout line matching <paramref name="predicate"/>, skipping others; fails after <paramref name="timeout"/>.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                string line = await _lines.Reader.ReadAsync(cancel.Token);
                if (predicate(line))
                {
                    return line;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            throw new TimeoutException($"no matching line from `{CommandLine}` (exited: {HasExited})\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
        }
    }

    /// <summary>Waits for exit; kills the process and fails when it takes longer than <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"`{CommandLine}` still running after {timeout.TotalSeconds} s\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
        }
        await Task.WhenAll(_stdoutDone, _stderrDone).WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>Sends a POSIX signal with kill(1), e.g. "TERM".</summary>
    public async Task SignalAsync(string signal)
    {
        var (code, _, error) = await RunAsync("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(code == 0, $"kill -{signal} {_process.Id} failed: {error}");
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await _process.WaitForExitAsync().WaitAsync(Waits.Expected);
        }
        catch (TimeoutException)
        {
        }
        _process.Dispose();
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder all, ChannelWriter<string>? lines)
    {
        while (await reader.ReadLineAsync() is string line)
        {
            lock (all)
            {
                all.AppendLine(line);
            }
            lines?.TryWrite(line);
        }
        lines?.TryComplete();
    }
}
