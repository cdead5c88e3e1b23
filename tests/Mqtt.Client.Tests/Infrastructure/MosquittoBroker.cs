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

    private MosquittoBroker(Process process, string directory, int port, int webSocketPort)
    {
        _process = process;
        _directory = directory;
        Port = port;
        WebSocketPort = webSocketPort;
    }

    public string Name => "mosquitto";

    public int Port { get; }

    /// <summary>The MQTT over WebSocket port (0 when there is none).</summary>
    public int WebSocketPort { get; }

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

    /// <summary>
    /// Starts Mosquitto with a TCP listener and, when <paramref name="webSocket"/>, a WebSocket one beside it;
    /// <paramref name="settings"/> are more lines of configuration, after the TCP listener (some, such as max_qos, are
    /// the listener's).
    /// </summary>
    public static async Task<MosquittoBroker> StartAsync(bool webSocket = false, string settings = "")
    {
        string executable = RequireExecutable();
        int port = FreePort.Next();
        int webSocketPort = webSocket ? FreePort.Next() : 0;
        string directory = Directory.CreateTempSubdirectory("mqttcore-mosquitto-").FullName;
        string config = Path.Combine(directory, "mosquitto.conf");
        // A WebSocket listener only beside a TCP one: Mosquitto 2.0.11 exits when all its listeners are WebSocket ones.
        await File.WriteAllTextAsync(config, $"""
            allow_anonymous true
            persistence false
            max_keepalive 65535
            listener {port} 127.0.0.1
            {settings}
            {(webSocket ? $"listener {webSocketPort} 127.0.0.1\nprotocol websockets" : "")}
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
        var broker = new MosquittoBroker(process, directory, port, webSocketPort);
        process.OutputDataReceived += (_, e) => broker.Append(e.Data);
        process.ErrorDataReceived += (_, e) => broker.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await FreePort.WaitUntilAcceptingAsync(port, TimeSpan.FromSeconds(10), () => $"mosquitto said: {broker.Output}");
            if (webSocket)
            {
                await FreePort.WaitUntilAcceptingAsync(webSocketPort, TimeSpan.FromSeconds(10), () => $"mosquitto said: {broker.Output}");
            }
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
