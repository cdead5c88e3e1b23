using System.Globalization;

namespace Mqtt.Interop.Tests;

/// <summary>
/// Runs Mosquitto's command-line clients (Debian package mosquitto-clients) against a broker on 127.0.0.1.
/// Every test that needs them calls <see cref="RequireClients"/> first.
/// </summary>
internal static class MosquittoClients
{
    public const string InstallHint = "install the Debian packages mosquitto and mosquitto-clients";

    private static readonly Lazy<string?> Pub = new(() => FindOnPath("mosquitto_pub"));
    private static readonly Lazy<string?> Sub = new(() => FindOnPath("mosquitto_sub"));
    private static readonly Lazy<string?> StdBuf = new(() => FindOnPath("stdbuf"));

    /// <summary>
    /// Skips the test when mosquitto_pub or mosquitto_sub is missing, or fails it when CI=true, in both cases
    /// saying what to install.
    /// </summary>
    public static void RequireClients()
    {
        if (Pub.Value is not null && Sub.Value is not null)
        {
            return;
        }
        string message = $"mosquitto_pub/mosquitto_sub not found on PATH: {InstallHint}";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(message);
        }
        Skip.If(true, message);
    }

    /// <summary>Runs mosquitto_pub to completion and requires exit code 0.</summary>
    public static async Task PublishAsync(int port, string version, params string[] arguments)
    {
        var (code, stdout, stderr) = await ChildProcess.RunAsync(Pub.Value!, Common(port, version, arguments));
        Assert.True(code == 0, $"mosquitto_pub {string.Join(' ', arguments)} exited {code}\n{stdout}\n{stderr}");
    }

    /// <summary>Runs mosquitto_pub with stdin (for -l, one message per line) and requires exit code 0.</summary>
    public static async Task PublishLinesAsync(int port, string version, string lines, params string[] arguments)
    {
        var (code, stdout, stderr) = await ChildProcess.RunAsync(Pub.Value!, Common(port, version, [.. arguments, "-l"]), lines);
        Assert.True(code == 0, $"mosquitto_pub -l exited {code}\n{stdout}\n{stderr}");
    }

    /// <summary>
    /// Starts mosquitto_sub with -d (stdout line-buffered through stdbuf) and returns once its SUBACK came back,
    /// so publishing afterwards cannot race the subscription. It stops by itself after -W seconds at most.
    /// </summary>
    public static async Task<ChildProcess> StartSubscriberAsync(int port, string version, params string[] arguments)
    {
        string stdbuf = StdBuf.Value ?? throw new InvalidOperationException("stdbuf (coreutils) is needed to read mosquitto_sub's output line by line");
        int waitSeconds = (int)Waits.Process.TotalSeconds;
        ChildProcess sub = ChildProcess.Start(stdbuf, ["-oL", Sub.Value!, .. Common(port, version, ["-d", "-W", waitSeconds.ToString(CultureInfo.InvariantCulture), .. arguments])]);
        await sub.WaitForLineAsync(static line => line.StartsWith("Subscribed (mid:", StringComparison.Ordinal), Waits.Expected);
        return sub;
    }

    /// <summary>Waits for a subscriber started with -C to exit 0 and returns its message lines (debug lines removed).</summary>
    public static async Task<List<string>> MessagesAsync(ChildProcess sub)
    {
        int code = await sub.WaitForExitAsync(Waits.Process);
        Assert.True(code == 0, $"`{sub.CommandLine}` exited {code}\n{sub.StandardOutput}\n{sub.StandardError}");
        return MessageLines(sub.StandardOutput);
    }

    /// <summary>Runs mosquitto_sub to completion (it must have -C) and returns its message lines.</summary>
    public static async Task<List<string>> SubscribeOnceAsync(int port, string version, params string[] arguments)
    {
        var (code, stdout, stderr) = await ChildProcess.RunAsync(Sub.Value!, Common(port, version, ["-W", "20", .. arguments]));
        Assert.True(code == 0, $"mosquitto_sub {string.Join(' ', arguments)} exited {code}\n{stdout}\n{stderr}");
        return MessageLines(stdout);
    }

    private static List<string> MessageLines(string stdout)
    {
        var lines = new List<string>();
        foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!line.StartsWith("Client ", StringComparison.Ordinal) && !line.StartsWith("Subscribed (mid:", StringComparison.Ordinal))
            {
                lines.Add(line.TrimEnd('\r'));
            }
        }
        return lines;
    }

    private static string[] Common(int port, string version, string[] arguments) =>
        ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-V", version, .. arguments];

    private static string? FindOnPath(string name)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
