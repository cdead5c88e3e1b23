using System.Globalization;
using System.Text.RegularExpressions;

namespace Mqtt.Interop.Tests;

/// <summary>
/// `mqttcore broker` as a child process (`dotnet mqttcore.dll broker ...`, the dll copied next to the tests by
/// the Mqtt.Cli project reference), in its own temporary working and data folder.
/// </summary>
internal sealed partial class MqttCoreBrokerProcess : IAsyncDisposable
{
    private MqttCoreBrokerProcess(ChildProcess process, string folder, int port)
    {
        Process = process;
        Folder = folder;
        Port = port;
    }

    public ChildProcess Process { get; }

    /// <summary>Working directory of the broker; deleted on dispose.</summary>
    public string Folder { get; }

    /// <summary>The port from the first `listening on` line.</summary>
    public int Port { get; }

    public static string MqttCoreDll => Path.Combine(AppContext.BaseDirectory, "mqttcore.dll");

    /// <summary>The dotnet host running these tests (the SDK sets DOTNET_HOST_PATH), else dotnet on PATH.</summary>
    public static string DotNet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public static string NewFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "mqttcore-interop-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>Starts `mqttcore broker` with <paramref name="arguments"/> and waits for its `listening on` line.</summary>
    public static Task<MqttCoreBrokerProcess> StartAsync(params string[] arguments) => StartAsync(DotNet, [MqttCoreDll, "broker", .. arguments]);

    /// <summary>As <see cref="StartAsync(string[])"/>, with at most <paramref name="openFiles"/> file descriptors (`ulimit -n`).</summary>
    public static Task<MqttCoreBrokerProcess> StartWithOpenFileLimitAsync(int openFiles, params string[] arguments) =>
        StartAsync("bash", ["-c", $"ulimit -n {openFiles} && exec \"$@\"", "bash", DotNet, MqttCoreDll, "broker", .. arguments]);

    /// <summary>
    /// As <see cref="StartAsync(string[])"/>, with the broker's standard output and error (its log) going into a pipe
    /// that nobody reads after the `listening on` line (a supervisor that captures output and never drains it).
    /// </summary>
    public static Task<MqttCoreBrokerProcess> StartWithUnreadOutputAsync(params string[] arguments) =>
        StartAsync("bash", ["-c", "\"$@\" 2>&1 | { grep -m1 '^listening on '; exec sleep 3600; }", "bash", DotNet, MqttCoreDll, "broker", .. arguments]);

    private static async Task<MqttCoreBrokerProcess> StartAsync(string program, string[] arguments)
    {
        Assert.True(File.Exists(MqttCoreDll), $"{MqttCoreDll} is missing: the test project must reference src/Mqtt.Cli");
        string folder = NewFolder();
        ChildProcess process = ChildProcess.Start(program, arguments, workingDirectory: folder);
        try
        {
            string line = await process.WaitForLineAsync(static l => l.StartsWith("listening on ", StringComparison.Ordinal), Waits.Process);
            Match match = ListeningLine().Match(line);
            Assert.True(match.Success, $"unexpected ready line: {line}");
            return new MqttCoreBrokerProcess(process, folder, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs `mqttcore` with <paramref name="arguments"/> to completion.</summary>
    public static Task<(int ExitCode, string StandardOutput, string StandardError)> RunAsync(params string[] arguments) =>
        ChildProcess.RunAsync(DotNet, [MqttCoreDll, .. arguments]);

    /// <summary>VmRSS of the broker process, in KiB, from /proc/PID/status.</summary>
    public long ResidentKiB()
    {
        foreach (string line in File.ReadLines($"/proc/{Process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException("no VmRSS line");
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"^listening on 127\.0\.0\.1:(\d+) \(mqtt\)$")]
    private static partial Regex ListeningLine();
}
