using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Mqtt.MqttnetServer;

// Usage: Mqtt.MqttnetServer --port P [--scram-user NAME --scram-password PW [--iterations N]]
// Prints "listening on 127.0.0.1:P (mqtt)" once bound; stops on SIGINT or SIGTERM. Exit codes as CLI.md: 1 usage, 5 cannot listen.
int port = 0;
string? scramUser = null;
string? scramPassword = null;
int iterations = Mqtt.Security.Scram.ScramVerifier.DefaultIterationCount;
for (int i = 0; i < args.Length; i++)
{
    string? value = i + 1 < args.Length ? args[i + 1] : null;
    bool known = args[i] switch
    {
        "--port" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port),
        "--scram-user" => (scramUser = value) is not null,
        "--scram-password" => (scramPassword = value) is not null,
        "--iterations" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out iterations),
        _ => false,
    };
    if (!known)
    {
        return Usage($"bad argument '{args[i]}'");
    }
    i++;
}

if (port is < 1 or > 65535)
{
    return Usage("--port 1..65535 is required");
}

if ((scramUser is null) != (scramPassword is null))
{
    return Usage("--scram-user and --scram-password go together");
}

ScramLogin? scram;
try
{
    scram = scramUser is null ? null : new ScramLogin(scramUser, scramPassword!, iterations);
}
catch (ArgumentException e)
{
    return Usage(e.Message);
}

await using var host = new MqttnetServerHost(port, scram);
try
{
    await host.StartAsync();
}
catch (SocketException e)
{
    await Console.Error.WriteLineAsync($"mqttnet-server: cannot listen: {e.Message}");
    return 5;
}

Console.Out.WriteLine($"listening on 127.0.0.1:{port} (mqtt)");
Console.Out.Flush();

var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    stop.TrySetResult();
}
using (PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal))
using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal))
{
    await stop.Task;
}
return 0;

static int Usage(string why)
{
    Console.Error.WriteLine($"mqttnet-server: {why}");
    Console.Error.WriteLine("usage: Mqtt.MqttnetServer --port P [--scram-user NAME --scram-password PW [--iterations N]]");
    return 1;
}
