using System.Diagnostics;
using System.Text;

namespace Mqtt.Client.Tests;

/// <summary>
/// Mosquitto (Debian package) started with a temporary configuration on a free port, killed on dispose.
/// Missing Mosquitto skips the test, except on CI (CI=true) where it fails.
/// </summary>
public sealed class MosquittoBroker : IBroker
{
    public const string InstallHint = "install the Debian packages mosquitto and mosquitto-clients";

    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output = new();

    private MosquittoBroker(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public string Name => "mosquitto";

    public int Port { get; }

    public static string? FindExecutable()
    {
        foreach (string path in new[] { "/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/local/bin/mosquitto" })
        {
            if (File.Exists(path))
            {
                return path;
            }
        }
        return null;
    }

    /// <summary>Skips (or on CI fails) when Mosquitto is not installed.</summary>
    public static string RequireExecutable()
    {
        string? executable = FindExecutable();
        if (executable is null)
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail($"mosquitto is not installed: {InstallHint}");
            }
            Skip.If(true, $"mosquitto is not installed: {InstallHint}");
        }
        return executable!;
    }

    public static async Task<MosquittoBroker> StartAsync()
    {
        string executable = RequireExecutable();
        int port = FreePort.Next();
        string directory = Directory.CreateTempSubdirectory("mqttcore-mosquitto-").FullName;
        string config = Path.Combine(directory, "mosquitto.conf");
        await File.WriteAllTextAsync(config, $"""
            listener {port} 127.0.0.1
            allow_anonymous true
            persistence false
            max_keepalive 65535
            """);
        var process = new Process
        {
            StartInfo = new ProcessStartInfo(executable, ["-c", config])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            },
        };
        var broker = new MosquittoBroker(process, directory, port);
        process.OutputDataReceived += (_, e) => broker.Append(e.Data);
        process.ErrorDataReceived += (_, e) => broker.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await FreePort.WaitUntilAcceptingAsync(port, TimeSpan.FromSeconds(10), () => $"mosquitto said: {broker.Output}");
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
        return broker;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
