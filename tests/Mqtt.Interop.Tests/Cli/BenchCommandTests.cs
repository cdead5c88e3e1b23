using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Mqtt.Broker;
using Mqtt.Cli;
using Mqtt.Cli.Bench;
using Mqtt.Cli.Commands;
using Mqtt.Client;
using Mqtt.Security.Credentials;
using MQTTnet.Server;

namespace Mqtt.Interop.Tests.Cli;

/// <summary>
/// `mqttcore bench` run in-process (Program.Run) for a second against our broker in the same process, whose PID is
/// therefore ours. These check the counting and the report, not the speed: every figure asserted is a count.
/// </summary>
public sealed class BenchCommandTests
{
    private static readonly string[] ReportFields =
    [
        "scenario", "qos", "payload_bytes", "publishers", "subscribers", "mode", "offered_rate", "outstanding", "duration_s",
        "sent", "not_sent", "expected", "delivered", "lost", "duplicates", "delivered_per_s", "latency_us",
        "connections", "connects_per_s", "connect_failures", "broker", "generator",
    ];

    private static readonly string[] BrokerFields =
        ["pid", "cpu_s", "cpu_us_per_msg", "cpu_us_per_connect", "rss_kib_start", "rss_kib_end", "rss_kib_per_connection"];

    [Fact]
    public async Task Pairs_at_QoS_1_in_closed_loop_deliver_every_message_once_and_report_every_field()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();

        JsonElement report = await RunJsonAsync(broker.Port, "pairs", "--qos", "1", "--publishers", "3", "--outstanding", "8");

        AssertFields(report);
        Assert.Equal("pairs", report.GetProperty("scenario").GetString());
        Assert.Equal("closed", report.GetProperty("mode").GetString());
        Assert.Equal(JsonValueKind.Null, report.GetProperty("offered_rate").ValueKind);
        Assert.Equal(8, report.GetProperty("outstanding").GetInt32());
        Assert.Equal(3, report.GetProperty("subscribers").GetInt32());
        long sent = report.GetProperty("sent").GetInt64();
        Assert.True(sent > 0);
        AssertAllDelivered(report, expected: sent);
        JsonElement latency = report.GetProperty("latency_us");
        Assert.True(latency.GetProperty("p50").GetDouble() <= latency.GetProperty("p99").GetDouble());
        Assert.True(latency.GetProperty("p99").GetDouble() <= latency.GetProperty("max").GetDouble());
        JsonElement brokerFigures = report.GetProperty("broker");
        Assert.Equal(Environment.ProcessId, brokerFigures.GetProperty("pid").GetInt32());
        Assert.True(brokerFigures.GetProperty("rss_kib_start").GetInt64() > 0);
        Assert.Equal(JsonValueKind.Number, brokerFigures.GetProperty("cpu_us_per_msg").ValueKind);
        Assert.Equal(JsonValueKind.Null, brokerFigures.GetProperty("cpu_us_per_connect").ValueKind);
        Assert.Equal(JsonValueKind.Null, report.GetProperty("connections").ValueKind);
        Assert.Equal(JsonValueKind.Number, report.GetProperty("generator").GetProperty("cpu_us_per_msg").ValueKind);
    }

    [Fact]
    public async Task Pairs_over_websocket_go_through_the_ws_listener_and_deliver_every_message_once()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync(o => o.WebSocketListeners.Add(new IPEndPoint(IPAddress.Loopback, 0)));
        int webSocketPort = broker.Broker.Endpoints.Single(e => e.IsWebSocket).EndPoint.Port;

        JsonElement report = await RunJsonAsync(webSocketPort, "pairs", "--ws", "--qos", "1", "--publishers", "2");

        long sent = report.GetProperty("sent").GetInt64();
        Assert.True(sent > 0);
        AssertAllDelivered(report, expected: sent);
    }

    [Fact]
    public async Task Fanout_at_QoS_0_in_open_loop_delivers_each_message_to_every_subscriber()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();

        JsonElement report = await RunJsonAsync(broker.Port, "fanout", "--qos", "0", "--rate", "300", "--publishers", "2", "--subscribers", "3");

        AssertFields(report);
        Assert.Equal("open", report.GetProperty("mode").GetString());
        Assert.Equal(300, report.GetProperty("offered_rate").GetDouble());
        Assert.Equal(JsonValueKind.Null, report.GetProperty("outstanding").ValueKind);
        long sent = report.GetProperty("sent").GetInt64();
        // Two publishers at 300/s for a second: paced, so neither none nor far more than offered.
        Assert.InRange(sent, 1, 2 * 300 * 3);
        AssertAllDelivered(report, expected: 3 * sent);
    }

    [Fact]
    public async Task An_open_loop_rate_the_generator_cannot_keep_reports_what_was_not_sent_and_says_so()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();

        (int code, string output, string error) = await RunAsync(broker.Port, "pairs", "--qos", "1", "--rate", "100000000", "--publishers", "1",
            "--duration", "1", "--warmup", "0", "--json");

        Assert.True(code == 0, $"exit {code}: {error}");
        using JsonDocument document = JsonDocument.Parse(output);
        long sent = document.RootElement.GetProperty("sent").GetInt64();
        long notSent = document.RootElement.GetProperty("not_sent").GetInt64();
        double seconds = document.RootElement.GetProperty("duration_s").GetDouble();
        // 100 million a second is out of reach: what was offered and not sent is reported, not hidden.
        Assert.Equal(Math.Round(100_000_000 * seconds), sent + notSent);
        Assert.True(notSent > sent, $"sent {sent}, not sent {notSent}");
        Assert.Contains("were not sent", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shared_subscribers_get_each_message_once_between_them()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();

        JsonElement report = await RunJsonAsync(broker.Port, "shared", "--qos", "1", "--publishers", "2", "--subscribers", "3");

        AssertFields(report);
        long sent = report.GetProperty("sent").GetInt64();
        Assert.True(sent > 0);
        AssertAllDelivered(report, expected: sent);
    }

    [Fact]
    public async Task Fanin_at_QoS_2_over_MQTT_3_1_1_delivers_every_message_once()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();

        JsonElement report = await RunJsonAsync(broker.Port, "fanin", "--qos", "2", "-V", "3.1.1");

        Assert.Equal(1, report.GetProperty("subscribers").GetInt32());
        long sent = report.GetProperty("sent").GetInt64();
        Assert.True(sent > 0);
        AssertAllDelivered(report, expected: sent);
    }

    [Fact]
    public async Task Against_the_MQTTnet_server_pairs_at_QoS_1_deliver_every_message_once()
    {
        int port = FreePort();
        var factory = new MqttServerFactory();
        MqttServerOptions options = factory.CreateServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointBoundIPV6Address(IPAddress.None)
            .WithDefaultEndpointPort(port)
            .Build();
        using MqttServer server = factory.CreateMqttServer(options);
        await server.StartAsync();
        try
        {
            JsonElement report = await RunJsonAsync(port, "pairs", "--qos", "1", "--publishers", "2");

            long sent = report.GetProperty("sent").GetInt64();
            Assert.True(sent > 0);
            AssertAllDelivered(report, expected: sent);
        }
        finally
        {
            await server.StopAsync();
        }
    }

    [Fact]
    public async Task A_connection_storm_counts_its_connections_and_the_broker_cost_per_connect()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();

        JsonElement report = await RunJsonAsync(broker.Port, "connect", "--connections", "60", "--concurrency", "8");

        AssertFields(report);
        Assert.Equal(60, report.GetProperty("connections").GetInt32());
        Assert.Equal(0, report.GetProperty("connect_failures").GetInt64());
        Assert.True(report.GetProperty("connects_per_s").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Number, report.GetProperty("broker").GetProperty("cpu_us_per_connect").ValueKind);
        Assert.Equal(JsonValueKind.Null, report.GetProperty("broker").GetProperty("cpu_us_per_msg").ValueKind);
        Assert.Equal(JsonValueKind.Null, report.GetProperty("sent").ValueKind);
        Assert.Equal(JsonValueKind.Null, report.GetProperty("mode").ValueKind);
        await broker.UntilConnectionsAsync(0);
    }

    [Fact]
    public async Task A_connection_storm_warms_up_with_connections_it_does_not_count()
    {
        await using EmbeddedBroker broker = await EmbeddedBroker.StartAsync();

        (int code, string output, string error) = await RunAsync(broker.Port,
            "connect", "--connections", "40", "--concurrency", "4", "--warmup", "0.5", "--json");

        Assert.True(code == 0, $"exit {code}: {error}");
        using JsonDocument report = JsonDocument.Parse(output);
        Assert.Equal(40, report.RootElement.GetProperty("connections").GetInt32());
        Assert.Equal(0, report.RootElement.GetProperty("connect_failures").GetInt64());
        long total = broker.Broker.Statistics.ConnectionsTotal;
        Assert.True(total > 40, $"the broker saw {total} connections: no warm-up before the 40 counted");
        await broker.UntilConnectionsAsync(0);
    }

    [Fact]
    public async Task A_SCRAM_storm_logs_every_connection_in_and_a_wrong_password_exits_2()
    {
        await using SecureBroker broker = await SecureBroker.StartAsync();
        Assert.True(await broker.Security.Credentials.TryAddAsync(UserCredentials.Derive("bencher", "pw-bencher")));

        JsonElement report = await RunJsonAsync(broker.Port, "connect", "--connections", "30", "--concurrency", "4", "--auth", "scram-sha-256", "-u", "bencher", "-P", "pw-bencher");
        (int refused, string output, string error) = await RunAsync(broker.Port, "connect", "--connections", "1", "--auth", "scram-sha-256", "-u", "bencher", "-P", "wrong");

        Assert.Equal(0, report.GetProperty("connect_failures").GetInt64());
        Assert.Equal(30, report.GetProperty("connections").GetInt32());
        Assert.Equal(ExitCodes.Refused, refused);
        Assert.Contains("0x86", error, StringComparison.Ordinal);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task A_registration_storm_adds_one_user_per_connection_and_the_users_can_log_in()
    {
        await using SecureBroker broker = await SecureBroker.StartAsync();

        JsonElement report = await RunJsonAsync(broker.Port, "connect", "--register", "--connections", "30", "--concurrency", "4", "-P", "pw-new");
        IReadOnlyList<UserCredentials> users = broker.Security.Credentials.List();
        JsonElement login = await RunJsonAsync(broker.Port, "connect", "--connections", "2", "--auth", "scram-sha-512", "-u", users[^1].Name, "-P", "pw-new");
        (int misuse, _, string error) = await RunAsync(broker.Port, "connect", "--register", "-u", "someone", "-P", "pw");

        Assert.Equal(0, report.GetProperty("connect_failures").GetInt64());
        Assert.Equal(30, users.Count);
        Assert.Equal(30, users.Select(u => u.Name).Distinct().Count(n => n.StartsWith("bench-", StringComparison.Ordinal)));
        Assert.Equal(0, login.GetProperty("connect_failures").GetInt64());
        Assert.Equal(ExitCodes.Usage, misuse);
        Assert.Contains("--register", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_registering_bench_client_never_puts_the_password_in_CONNECT()
    {
        var template = new MqttClientOptions { Port = 1, Password = "pw-new"u8.ToArray() };

        await using MqttClient client = new BenchClientFactory(template, "pw-new", register: true).Create("bench-x-c0");

        Assert.Null(client.Options.Password);
        Assert.Null(client.Options.UserName);
        Assert.Equal("bench-x-c0", Assert.IsType<RegistrationHandler>(client.Options.AuthenticationHandler).Credentials.Name);
    }

    [Theory]
    [InlineData("pairs", "--size", "15")]
    [InlineData("pairs", "--rate", "0")]
    [InlineData("pairs", "--qos", "3")]
    [InlineData("nosuchscenario")]
    public async Task Bad_usage_exits_1(params string[] arguments)
    {
        (int code, _, string error) = await RunAsync(1, arguments);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public async Task An_unreachable_broker_exits_5()
    {
        (int code, _, _) = await RunAsync(FreePort(), "pairs", "--timeout", "5");

        Assert.Equal(ExitCodes.Unreachable, code);
    }

    private static void AssertFields(JsonElement report)
    {
        Assert.Equal(ReportFields, report.EnumerateObject().Select(p => p.Name));
        Assert.Equal(BrokerFields, report.GetProperty("broker").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["cpu_s", "cpu_us_per_msg"], report.GetProperty("generator").EnumerateObject().Select(p => p.Name));
        Assert.True(report.GetProperty("duration_s").GetDouble() > 0);
    }

    private static void AssertAllDelivered(JsonElement report, long expected)
    {
        Assert.Equal(expected, report.GetProperty("expected").GetInt64());
        Assert.Equal(expected, report.GetProperty("delivered").GetInt64());
        Assert.Equal(0, report.GetProperty("lost").GetInt64());
        Assert.Equal(0, report.GetProperty("duplicates").GetInt64());
    }

    /// <summary>A one-second run with no warmup, sampling this process as the broker; the JSON object it printed.</summary>
    private static async Task<JsonElement> RunJsonAsync(int port, params string[] arguments)
    {
        (int code, string output, string error) = await RunAsync(port,
            [.. arguments, "--duration", "1", "--warmup", "0", "--json", "--broker-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(code == 0, $"exit {code}: {error}");
        using JsonDocument document = JsonDocument.Parse(output);
        return document.RootElement.Clone();
    }

    private static Task<(int ExitCode, string Output, string Error)> RunAsync(int port, params string[] arguments) => Task.Run(() =>
    {
        var output = new StringWriter();
        var error = new StringWriter();
        CliInput.Use(TextReader.Null);
        int code = Program.Run(["bench", .. arguments, "-p", port.ToString(CultureInfo.InvariantCulture)],
            new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
        return (code, output.ToString(), error.ToString());
    }).WaitAsync(Waits.Process);

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Our broker with the security layer (SCRAM, registration) on a fresh data folder, deleted afterwards.</summary>
    private sealed class SecureBroker : IAsyncDisposable
    {
        private readonly MqttBroker _broker;
        private readonly string _data;

        private SecureBroker(MqttBroker broker, BrokerSecurity security, string data)
        {
            _broker = broker;
            Security = security;
            _data = data;
        }

        public BrokerSecurity Security { get; }

        public int Port => _broker.Endpoints[0].EndPoint.Port;

        public static async Task<SecureBroker> StartAsync()
        {
            string data = Path.Combine(Path.GetTempPath(), "mqttcore-bench-" + Guid.NewGuid().ToString("N"));
            var options = new BrokerOptions { SysInterval = TimeSpan.Zero };
            options.Listeners.Add(new IPEndPoint(IPAddress.Loopback, 0));
            BrokerSecurity security = BrokerSecurity.Configure(options, new BrokerSecurityOptions
            {
                DataDirectory = data,
                PlainPasswords = PlainPasswordPolicy.Always,
                // A registration storm comes from one address.
                Throttle = new LoginThrottleOptions { RegistrationsPerAddress = 0 },
            });
            var broker = new MqttBroker(options);
            await broker.StartAsync();
            return new SecureBroker(broker, security, data);
        }

        public async ValueTask DisposeAsync()
        {
            await _broker.StopAsync().WaitAsync(Waits.Expected);
            Security.Dispose();
            Directory.Delete(_data, recursive: true);
        }
    }
}
