using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit.Abstractions;

namespace Mqtt.Interop.Tests.Memory;

/// <summary>
/// Opt-in measurement (MQTTCORE_MEMORY_TEST=1), not a performance assertion: the resident memory a
/// `mqttcore broker` process needs per idle MQTT 5 connection, from VmRSS before and after 10,000 of them.
/// Run: MQTTCORE_MEMORY_TEST=1 dotnet test tests/Mqtt.Interop.Tests -c Release --filter IdleConnection
/// --logger "console;verbosity=detailed". The figure goes into docs/PERF.md by hand.
/// </summary>
public sealed class IdleConnectionMemoryTests(ITestOutputHelper output)
{
    private const int Connections = 10_000;
    private const int Batch = 250;

    [SkippableFact]
    public async Task Resident_memory_per_idle_connection()
    {
        Skip.IfNot(Environment.GetEnvironmentVariable("MQTTCORE_MEMORY_TEST") == "1", "opt-in: set MQTTCORE_MEMORY_TEST=1");
        long files = OpenFileLimit();
        Assert.True(files > Connections + 200, $"open-file limit {files} is too low for {Connections} connections: raise it (ulimit -n 20000)");
        await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartAsync(
            "--listen", "127.0.0.1:0", "--allow-anonymous", "--sys-interval", "0", "--log-level", "warning", "--data", "data");
        var endPoint = new IPEndPoint(IPAddress.Loopback, broker.Port);

        // Warm-up: code paths JIT-compiled and pools primed, so the baseline is a broker that has served clients.
        List<Socket> warmUp = await ConnectBatchAsync(endPoint, "warm", 0, 500);
        warmUp.ForEach(static s => s.Dispose());
        await Task.Delay(TimeSpan.FromSeconds(3));
        long before = await SteadyResidentKiBAsync(broker);

        var sockets = new List<Socket>(Connections);
        try
        {
            for (int start = 0; start < Connections; start += Batch)
            {
                sockets.AddRange(await ConnectBatchAsync(endPoint, "idle", start, Math.Min(Batch, Connections - start)));
            }
            long after = await SteadyResidentKiBAsync(broker);

            // Still serving: a round trip through the broker with 10,000 idle clients attached.
            await using (MqttNetPeer probe = await MqttNetPeer.ConnectAsync(broker.Port, "probe"))
            {
                await probe.SubscribeAsync("probe/t");
                await probe.PublishAsync("probe/t", "alive");
                Assert.Equal("alive", (await probe.NextAsync()).Text);
            }

            double perConnection = (after - before) / (double)Connections;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"idle connections: {Connections}; VmRSS before {before} KiB, after {after} KiB; {perConnection:F2} KiB per connection"));
            output.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; {DateTime.UtcNow:yyyy-MM-dd}");
        }
        finally
        {
            sockets.ForEach(static s => s.Dispose());
        }
    }

    /// <summary>VmRSS once it stops moving (three equal-ish readings 1 s apart, at most 15 s).</summary>
    private static async Task<long> SteadyResidentKiBAsync(MqttCoreBrokerProcess broker)
    {
        long previous = broker.ResidentKiB();
        for (int i = 0; i < 15; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            long now = broker.ResidentKiB();
            if (Math.Abs(now - previous) < 256)
            {
                return now;
            }
            previous = now;
        }
        return previous;
    }

    private static async Task<List<Socket>> ConnectBatchAsync(IPEndPoint endPoint, string prefix, int start, int count)
    {
        var tasks = new Task<Socket>[count];
        for (int i = 0; i < count; i++)
        {
            tasks[i] = ConnectOneAsync(endPoint, $"{prefix}-{start + i:D5}");
        }
        return [.. await Task.WhenAll(tasks).WaitAsync(Waits.Process)];
    }

    /// <summary>A raw MQTT 5 CONNECT (Clean Start, Keep Alive 0: never pings) and its CONNACK Success.</summary>
    private static async Task<Socket> ConnectOneAsync(IPEndPoint endPoint, string clientId)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        byte[] id = Encoding.ASCII.GetBytes(clientId);
        byte[] connect = [0x10, (byte)(13 + id.Length), 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 5, 0x02, 0, 0, 0, 0, (byte)id.Length, .. id];
        await socket.SendAsync(connect);
        byte[] header = new byte[2];
        await ReceiveExactlyAsync(socket, header);
        Assert.Equal(0x20, header[0]);
        byte[] body = new byte[header[1]];
        await ReceiveExactlyAsync(socket, body);
        Assert.Equal(0x00, body[1]);
        return socket;
    }

    private static async Task ReceiveExactlyAsync(Socket socket, byte[] buffer)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read));
            if (n == 0)
            {
                throw new IOException("the broker closed the connection");
            }
            read += n;
        }
    }

    private static long OpenFileLimit()
    {
        foreach (string line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                string soft = line["Max open files".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return soft == "unlimited" ? long.MaxValue : long.Parse(soft, CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }
}
