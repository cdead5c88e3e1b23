using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mqtt.Broker;

namespace Mqtt.EndToEnd.Tests;

/// <summary>A broker the tests run against, on 127.0.0.1.</summary>
public interface ITestBroker : IAsyncDisposable
{
    int Port { get; }
}

/// <summary>Our broker in-process, anonymous, on a port the system chose.</summary>
public sealed class OurBroker(MqttBroker broker, int port) : ITestBroker
{
    public int Port { get; } = port;

    public BrokerStatistics Statistics => broker.Statistics;

    public static async Task<OurBroker> StartAsync(Action<BrokerOptions>? configure = null)
    {
        var options = new BrokerOptions { AllowAnonymous = true, SysInterval = TimeSpan.Zero };
        configure?.Invoke(options);
        options.Listeners.Add(new IPEndPoint(IPAddress.Loopback, 0));
        var broker = new MqttBroker(options);
        await broker.StartAsync();
        return new OurBroker(broker, broker.Endpoints.First(e => !e.IsTls).EndPoint.Port);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await broker.StopAsync().WaitAsync(timeout.Token);
    }
}

/// <summary>A child process (Mosquitto or mosquitto_sub) with its output collected; killed on dispose.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    public const string InstallHint = "install the Debian packages mosquitto and mosquitto-clients";

    private readonly Process process;
    private readonly StringBuilder output = new();

    public ChildProcess(string executable, params string[] args)
    {
        process = new Process
        {
            StartInfo = new ProcessStartInfo(executable, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false },
        };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>The path of an installed program; skips the test (fails it under CI=true) when missing.</summary>
    public static string Require(string name)
    {
        foreach (string dir in new[] { "/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin" })
        {
            string path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"{name} is not installed: {InstallHint}");
        }
        Skip.If(true, $"{name} is not installed: {InstallHint}");
        return "";
    }

    /// <summary>Waits (bounded) until the output contains <paramref name="text"/>.</summary>
    public async Task WaitForAsync(string text)
    {
        using var deadline = new CancellationTokenSource(Cli.Patience);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            try
            {
                await Task.Delay(20, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"'{text}' did not appear; output so far: {Output}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
        }
        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}

/// <summary>Mosquitto (Debian package) on a free port with a temporary configuration.</summary>
public sealed class MosquittoBroker(ChildProcess process, string directory, int port) : ITestBroker
{
    public int Port { get; } = port;

    public static async Task<MosquittoBroker> StartAsync()
    {
        string executable = ChildProcess.Require("mosquitto");
        int port = FreePort();
        string directory = Directory.CreateTempSubdirectory("mqttcore-e2e-mosquitto-").FullName;
        string config = Path.Combine(directory, "mosquitto.conf");
        await File.WriteAllTextAsync(config, $"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n");
        var process = new ChildProcess(executable, "-c", config);
        var broker = new MosquittoBroker(process, directory, port);
        using var deadline = new CancellationTokenSource(Cli.Patience);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port, deadline.Token);
                return broker;
            }
            catch (SocketException)
            {
                await Task.Delay(50, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                await broker.DisposeAsync();
                throw new TimeoutException($"mosquitto did not listen on {port}: {process.Output}");
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await process.DisposeAsync();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
