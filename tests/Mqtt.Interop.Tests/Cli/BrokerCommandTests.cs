using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;

namespace Mqtt.Interop.Tests.Cli;

/// <summary>`mqttcore broker` run as a child process, as a user or a script runs it (CLI.md).</summary>
public sealed class BrokerCommandTests
{
    [SkippableFact]
    public async Task The_broker_command_announces_its_listener_and_serves_mosquitto_clients()
    {
        MosquittoClients.RequireClients();
        await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartAsync("--listen", "127.0.0.1:0", "--allow-anonymous", "--data", "data");
        await using ChildProcess sub = await MosquittoClients.StartSubscriberAsync(broker.Port, "mqttv5", "-t", "cli/#", "-q", "2", "-C", "2", "-v");

        await MosquittoClients.PublishAsync(broker.Port, "mqttv5", "-t", "cli/v5", "-m", "hello", "-q", "2");
        await MosquittoClients.PublishAsync(broker.Port, "mqttv311", "-t", "cli/v311", "-m", "hello", "-q", "1");

        Assert.Equal(["cli/v5 hello", "cli/v311 hello"], await MosquittoClients.MessagesAsync(sub));
        Assert.False(broker.Process.HasExited);
    }

    /// <summary>
    /// A script's background job (`mqttcore broker ... &amp;` then `kill -INT $!`) starts with SIGINT ignored; mosquitto
    /// stops on it all the same. Before the fix .NET kept SIGINT ignored and the broker ran on (a black-box probe).
    /// </summary>
    [Fact]
    public async Task Broker_started_with_SIGINT_ignored_still_stops_on_SIGINT()
    {
        string folder = MqttCoreBrokerProcess.NewFolder();
        try
        {
            await using ChildProcess broker = ChildProcess.Start("bash", ["-c", "trap '' INT; exec \"$@\"", "bash",
                MqttCoreBrokerProcess.DotNet, MqttCoreBrokerProcess.MqttCoreDll, "broker", "--listen", "127.0.0.1:0", "--data", Path.Combine(folder, "data")]);
            await broker.WaitForLineAsync(static l => l.StartsWith("listening on ", StringComparison.Ordinal), Waits.Process);

            await broker.SignalAsync("INT");

            Assert.Equal(0, await broker.WaitForExitAsync(Waits.Process));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task SIGTERM_sends_DISCONNECT_0x8B_to_MQTT_5_clients_and_exits_0()
    {
        await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartAsync("--listen", "127.0.0.1:0", "--allow-anonymous", "--data", "data");
        await using MqttNetPeer v5 = await MqttNetPeer.ConnectAsync(broker.Port, "v5-client");
        await using MqttNetPeer v311 = await MqttNetPeer.ConnectAsync(broker.Port, "v311-client", version: MQTTnet.Formatter.MqttProtocolVersion.V311);

        await broker.Process.SignalAsync("TERM");

        MqttClientDisconnectedEventArgs gone = await v5.Disconnected.WaitAsync(Waits.Expected);
        Assert.Equal(MqttClientDisconnectReason.ServerShuttingDown, gone.Reason);
        // 3.1.1 has no server DISCONNECT: its connection is simply closed.
        await v311.Disconnected.WaitAsync(Waits.Expected);
        Assert.Equal(0, await broker.Process.WaitForExitAsync(Waits.Process));
    }

    [Fact]
    public async Task The_log_goes_to_stderr_and_stdout_holds_only_the_listening_lines()
    {
        await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartAsync("--listen", "127.0.0.1:0", "--allow-anonymous", "--data", "data");
        await using (MqttNetPeer client = await MqttNetPeer.ConnectAsync(broker.Port, "logged-in"))
        {
            await client.SubscribeAsync("log/test");
        }

        await broker.Process.SignalAsync("TERM");
        Assert.Equal(0, await broker.Process.WaitForExitAsync(Waits.Process));
        Assert.Contains("client=\"logged-in\"", broker.Process.StandardError);
        Assert.All(broker.Process.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries),
            line => Assert.StartsWith("listening on ", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_connection_storm_past_the_open_files_limit_is_refused_in_part_and_the_broker_serves_on()
    {
        const int OpenFiles = 300;
        await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartWithOpenFileLimitAsync(OpenFiles,
            "--listen", "127.0.0.1:0", "--allow-anonymous", "--data", "data");
        var flood = new List<Socket>();
        try
        {
            // Twice as many silent connections as the broker has descriptors: the kernel completes them all; the broker
            // must close those it cannot hold (before the fix it ran out of descriptors and the runtime ended it).
            for (int i = 0; i < 2 * OpenFiles; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                flood.Add(socket);
                using var connectTimeout = new CancellationTokenSource(Waits.Expected);
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, broker.Port), connectTimeout.Token);
                }
                catch (SocketException e)
                {
                    Assert.Fail($"connection {i}: {e.Message}; the broker exited: {broker.Process.HasExited}\n{broker.Process.StandardError}");
                }
            }
            int closed = 0;
            for (int wait = 0; wait < 100 && (closed = flood.Count(ClosedByPeer)) < OpenFiles; wait++)
            {
                await Task.Delay(100);
            }
            Assert.False(broker.Process.HasExited, $"the broker exited: {broker.Process.StandardError}");
            Assert.True(closed >= OpenFiles, $"the broker closed {closed} of {flood.Count} connections it had no descriptors for");
            Assert.True(OpenDescriptors(broker) < OpenFiles - 32, "the broker kept no descriptors in reserve");
        }
        finally
        {
            flood.ForEach(socket => socket.Dispose());
        }
        // The broker frees the flood's descriptors as it reads their ends; a client coming before that is still over
        // the budget and closed at once (seen when the whole suite loaded the machine).
        for (int wait = 0; wait < 100 && OpenDescriptors(broker) > OpenFiles / 2; wait++)
        {
            await Task.Delay(100);
        }

        await using MqttNetPeer client = await MqttNetPeer.ConnectAsync(broker.Port, "after-the-flood");
        await client.SubscribeAsync("fd/test");
        await client.PublishAsync("fd/test", "served");
        Assert.Equal("served", (await client.NextAsync()).Text);
        Assert.False(broker.Process.HasExited);
    }

    /// <summary>
    /// Logging must never stop the broker. At the default log level every login writes a line; 5,000 lines (about
    /// 600 KB) fill the 64 KiB pipe and then the logger's queue of 2,500 lines, after which a logger that waits for
    /// room would hold every thread that logs (before the fix the broker stopped answering anyone).
    /// </summary>
    [Fact]
    public async Task A_broker_whose_output_nobody_reads_drops_log_lines_and_serves_on()
    {
        await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartWithUnreadOutputAsync(
            "--listen", "127.0.0.1:0", "--allow-anonymous", "--data", "data");

        await using ChildProcess storm = ChildProcess.Start(MqttCoreBrokerProcess.DotNet, [MqttCoreBrokerProcess.MqttCoreDll,
            "bench", "connect", "-p", broker.Port.ToString(CultureInfo.InvariantCulture), "--connections", "5000", "--warmup", "0", "--timeout", "5", "--json", "--quiet"]);
        Assert.Equal(0, await storm.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        using (JsonDocument report = JsonDocument.Parse(storm.StandardOutput))
        {
            Assert.Equal(0, report.RootElement.GetProperty("connect_failures").GetInt64());
        }
        await using MqttNetPeer client = await MqttNetPeer.ConnectAsync(broker.Port, "after-the-storm");
        await client.SubscribeAsync("log/test");
        await client.PublishAsync("log/test", "served");
        Assert.Equal("served", (await client.NextAsync()).Text);
    }

    /// <summary>The broker closed this connection: it reads as end of stream (the broker never writes first).</summary>
    private static bool ClosedByPeer(Socket socket) => socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;

    private static int OpenDescriptors(MqttCoreBrokerProcess broker) => Directory.GetFiles($"/proc/{broker.Process.Id}/fd").Length;

    [Fact]
    public async Task A_ws_listener_is_announced_as_ws_and_serves_mqtt_over_websocket()
    {
        await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartAsync(
            "--listen", "127.0.0.1:0", "--ws-listen", "127.0.0.1:0", "--allow-anonymous", "--data", "data");
        string line = await broker.Process.WaitForLineAsync(static l => l.EndsWith(" (ws)", StringComparison.Ordinal), Waits.Process);
        string port = line["listening on 127.0.0.1:".Length..^" (ws)".Length];

        await using MqttNetPeer overWebSocket = await MqttNetPeer.ConnectOverWebSocketAsync($"ws://127.0.0.1:{port}/mqtt", "ws-client");
        await using MqttNetPeer overTcp = await MqttNetPeer.ConnectAsync(broker.Port, "tcp-client");
        await overWebSocket.SubscribeAsync("cli/ws");
        await overTcp.PublishAsync("cli/ws", "through the ws listener");

        Assert.Equal("through the ws listener", (await overWebSocket.NextAsync()).Text);
    }

    /// <summary>Before the fix both brokers listened (SO_REUSEPORT) and the kernel shared new clients between them.</summary>
    [Fact]
    public async Task A_second_broker_on_a_port_in_use_exits_1_with_address_in_use_and_the_first_serves_on()
    {
        await using MqttCoreBrokerProcess first = await MqttCoreBrokerProcess.StartAsync("--listen", "127.0.0.1:0", "--allow-anonymous", "--data", "data");
        string taken = $"127.0.0.1:{first.Port}";

        var (code, stdout, stderr) = await MqttCoreBrokerProcess.RunAsync("broker", "--listen", "127.0.0.1:0", "--listen", taken, "--allow-anonymous",
            "--data", Path.Combine(first.Folder, "second"));

        Assert.Equal(1, code);
        Assert.Contains($"cannot listen on {taken}: Address already in use", stderr);
        Assert.DoesNotContain("listening on", stdout);
        await using MqttNetPeer client = await MqttNetPeer.ConnectAsync(first.Port, "still-served");
        await client.SubscribeAsync("port/test");
        await client.PublishAsync("port/test", "first broker");
        Assert.Equal("first broker", (await client.NextAsync()).Text);
    }

    [Fact]
    public async Task A_wss_listener_without_a_certificate_exits_1()
    {
        var (code, _, stderr) = await MqttCoreBrokerProcess.RunAsync("broker", "--wss-listen", "127.0.0.1:0");

        Assert.Equal(1, code);
        Assert.Contains("--wss-listen needs --cert and --key", stderr);
    }

    [Fact]
    public async Task With_persistence_a_retained_message_survives_a_SIGTERM_restart()
    {
        string folder = MqttCoreBrokerProcess.NewFolder();
        string data = Path.Combine(folder, "data");
        string[] arguments = ["--listen", "127.0.0.1:0", "--allow-anonymous", "--data", data, "--persistence"];
        try
        {
            await using (MqttCoreBrokerProcess first = await MqttCoreBrokerProcess.StartAsync(arguments))
            {
                await using (MqttNetPeer setter = await MqttNetPeer.ConnectAsync(first.Port, "setter"))
                {
                    await setter.PublishAsync("persist/status", "kept across restarts", retain: true);
                }
                await first.Process.SignalAsync("TERM");
                Assert.Equal(0, await first.Process.WaitForExitAsync(Waits.Process));
            }
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, "state")));
            }

            await using MqttCoreBrokerProcess second = await MqttCoreBrokerProcess.StartAsync(arguments);
            await using MqttNetPeer reader = await MqttNetPeer.ConnectAsync(second.Port, "reader");
            await reader.SubscribeAsync("persist/#");
            ReceivedMessage kept = await reader.NextAsync();
            Assert.Equal(("persist/status", "kept across restarts"), (kept.Topic, kept.Text));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_corrupt_state_file_stops_the_broker_with_exit_1_naming_the_file()
    {
        string folder = MqttCoreBrokerProcess.NewFolder();
        try
        {
            string data = Path.Combine(folder, "data");
            Directory.CreateDirectory(data);
            await File.WriteAllTextAsync(Path.Combine(data, "state"), "not a state file");

            var (code, stdout, stderr) = await MqttCoreBrokerProcess.RunAsync("broker", "--listen", "127.0.0.1:0", "--allow-anonymous",
                "--data", data, "--persistence");

            Assert.Equal(1, code);
            Assert.Contains($"state file {Path.Combine(data, "state")}: not a mqttcore state file", stderr);
            Assert.DoesNotContain("listening on", stdout);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_JSON_config_file_sets_the_options_and_flags_override_it()
    {
        string folder = MqttCoreBrokerProcess.NewFolder();
        try
        {
            string config = Path.Combine(folder, "broker.json");
            await File.WriteAllTextAsync(config, """
                {
                  "listen": ["127.0.0.1:0"],
                  "ws-listen": ["127.0.0.1:0"],
                  "allow-anonymous": true,
                  "receive-maximum": 7,
                  "max-packet-size": 4096,
                  "max-keepalive": 30,
                  "max-queued-bytes": 65536,
                  "max-session-expiry": 600,
                  "sys-interval": 1,
                  "max-users": 5000,
                  "log-level": "warning",
                  "persistence": true,
                  "autosave-interval": 60
                }
                """);
            await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartAsync("--config", config, "--max-packet-size", "8192", "--data", "data");
            await broker.Process.WaitForLineAsync(static l => l.EndsWith(" (ws)", StringComparison.Ordinal), Waits.Process);

            await using MqttNetPeer client = await MqttNetPeer.ConnectAsync(broker.Port, "configured",
                o => o.WithKeepAlivePeriod(TimeSpan.FromSeconds(60)).WithSessionExpiryInterval(3600));

            Assert.Equal((ushort)7, client.ConnectResult.ReceiveMaximum);
            Assert.Equal(8192u, client.ConnectResult.MaximumPacketSize);
            Assert.Equal(30, client.ConnectResult.ServerKeepAlive);
            Assert.Equal(600u, client.ConnectResult.SessionExpiryInterval);
            await client.SubscribeAsync("$SYS/broker/version", MqttQualityOfServiceLevel.AtMostOnce);
            ReceivedMessage version = await client.NextAsync();
            Assert.StartsWith("mqttcore version ", version.Text);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task The_share_for_large_connects_comes_from_the_config_file_and_the_flag_and_a_connect_past_it_gets_0x89()
    {
        string folder = MqttCoreBrokerProcess.NewFolder();
        try
        {
            string config = Path.Combine(folder, "broker.json");
            await File.WriteAllTextAsync(config, """{ "allow-anonymous": true, "max-connecting-bytes": 10000 }""");
            await using MqttCoreBrokerProcess bounded = await MqttCoreBrokerProcess.StartAsync("--config", config, "--listen", "127.0.0.1:0", "--data", "data");
            await using MqttCoreBrokerProcess unbounded = await MqttCoreBrokerProcess.StartAsync(
                "--config", config, "--listen", "127.0.0.1:0", "--data", "data2", "--max-connecting-bytes", "0");
            // A 20 KB Will: over the 8 KiB a client not yet accepted may send without a share.
            void LargeWill(MqttClientOptionsBuilder o) => o.WithWillTopic("w").WithWillPayload(new byte[20_000]);

            await using MqttNetPeer refused = await MqttNetPeer.TryConnectAsync(bounded.Port, "large", LargeWill);
            await using MqttNetPeer accepted = await MqttNetPeer.TryConnectAsync(unbounded.Port, "large", LargeWill);

            Assert.Equal(MqttClientConnectResultCode.ServerBusy, refused.ConnectResult.ResultCode); // the file's 10,000 bytes
            Assert.Equal(MqttClientConnectResultCode.Success, accepted.ConnectResult.ResultCode); // the flag's 0: no bound
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task The_retained_store_bounds_come_from_the_config_file_and_the_flags_and_a_retained_message_past_them_gets_0x97()
    {
        string folder = MqttCoreBrokerProcess.NewFolder();
        try
        {
            string config = Path.Combine(folder, "broker.json");
            await File.WriteAllTextAsync(config, """{ "allow-anonymous": true, "max-retained-messages": 2, "max-retained-bytes": 100 }""");
            await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartAsync(
                "--config", config, "--listen", "127.0.0.1:0", "--data", "data", "--max-retained-messages", "1");
            await using MqttNetPeer client = await MqttNetPeer.ConnectAsync(broker.Port, "retainer");

            MqttClientPublishResult first = await client.PublishAsync("r/1", "one", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
            MqttClientPublishResult second = await client.PublishAsync("r/2", "two", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
            MqttClientPublishResult large = await client.PublishAsync("r/1", new string('x', 100), MqttQualityOfServiceLevel.AtLeastOnce, retain: true);

            Assert.Equal(MqttClientPublishReasonCode.NoMatchingSubscribers, first.ReasonCode);
            Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, second.ReasonCode); // the flag's 1, not the file's 2
            Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, large.ReasonCode); // the file's 100 bytes
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Max_registrations_per_address_stops_self_registration_from_one_address()
    {
        await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartAsync(
            "--listen", "127.0.0.1:0", "--data", "data", "--max-registrations-per-address", "1");
        string port = broker.Port.ToString(CultureInfo.InvariantCulture);

        var (first, _, firstError) = await MqttCoreBrokerProcess.RunAsync("register", "-p", port, "-u", "first", "-P", "pw-first");
        var (second, _, secondError) = await MqttCoreBrokerProcess.RunAsync("register", "-p", port, "-u", "second", "-P", "pw-second");

        Assert.True(first == 0, firstError);
        Assert.NotEqual(0, second);
        Assert.Contains("0x9F", secondError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_allow_anonymous_an_anonymous_client_is_refused_with_0x87()
    {
        await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartAsync("--listen", "127.0.0.1:0", "--data", "data");

        await using MqttNetPeer anonymous = await MqttNetPeer.TryConnectAsync(broker.Port, "anonymous");

        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, anonymous.ConnectResult.ResultCode);
    }

    [Theory]
    [InlineData("--no-such-flag")]
    [InlineData("--listen", "not-an-endpoint")]
    [InlineData("--receive-maximum", "0")]
    [InlineData("--receive-maximum")]
    [InlineData("--listen", "127.0.0.1:0", "--listen")] // before the fix the value-less one was ignored
    [InlineData("--max-keepalive", "soon")]
    [InlineData("--max-users", "-1")]
    [InlineData("--max-registrations-per-address", "-1")]
    [InlineData("--max-queued-bytes", "-1")]
    [InlineData("--max-retained-messages", "-1")]
    [InlineData("--max-retained-bytes", "-1")]
    [InlineData("--max-connecting-bytes", "-1")]
    public async Task Bad_usage_exits_1_with_a_message_on_stderr(params string[] arguments)
    {
        var (code, _, stderr) = await MqttCoreBrokerProcess.RunAsync(["broker", .. arguments]);

        Assert.Equal(1, code);
        Assert.False(string.IsNullOrWhiteSpace(stderr));
        Assert.DoesNotContain("System.", stderr);
    }

    [Fact]
    public async Task A_data_folder_that_is_a_file_exits_1_saying_so()
    {
        string file = Path.GetTempFileName();
        try
        {
            var (code, _, stderr) = await MqttCoreBrokerProcess.RunAsync("broker", "--listen", "127.0.0.1:0", "--data", file);

            Assert.Equal(1, code);
            Assert.Contains($"--data {file} is a file", stderr); // before: "The file ... already exists"
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task An_unknown_key_in_the_config_file_exits_1()
    {
        string folder = MqttCoreBrokerProcess.NewFolder();
        try
        {
            string config = Path.Combine(folder, "bad.json");
            await File.WriteAllTextAsync(config, """{ "listen": "127.0.0.1:0", "no-such-key": 1 }""");

            var (code, _, stderr) = await MqttCoreBrokerProcess.RunAsync("broker", "--config", config);

            Assert.Equal(1, code);
            Assert.Contains("no-such-key", stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Before the fix each of these printed an InvalidOperationException or FormatException with its stack trace.</summary>
    [Theory]
    [InlineData("""{ "max-packet-size": "4096" }""", "max-packet-size")]
    [InlineData("""{ "max-packet-size": 4096.5 }""", "max-packet-size")]
    [InlineData("""{ "max-connections": 5000000000 }""", "max-connections")]
    [InlineData("""{ "listen": 5 }""", "listen")]
    [InlineData("""{ "listen": ["127.0.0.1:0", 5] }""", "listen")]
    [InlineData("""{ "allow-anonymous": "yes" }""", "allow-anonymous")]
    [InlineData("""{ "log-level": null }""", "log-level")]
    [InlineData("""{ "log-level": "99", "listen": "127.0.0.1:0" }""", "log level")]
    [InlineData("""{ "log-level": "Warning,Error", "listen": "127.0.0.1:0" }""", "log level")]
    [InlineData("""["listen", "127.0.0.1:0"]""", "JSON object")]
    public async Task A_config_value_of_the_wrong_type_exits_1_naming_the_key(string json, string named)
    {
        string folder = MqttCoreBrokerProcess.NewFolder();
        try
        {
            string config = Path.Combine(folder, "typed.json");
            await File.WriteAllTextAsync(config, json);

            var (code, _, stderr) = await MqttCoreBrokerProcess.RunAsync("broker", "--config", config, "--data", Path.Combine(folder, "data"));

            Assert.Equal(1, code);
            Assert.Contains(named, stderr);
            Assert.DoesNotContain("   at ", stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>TLS files without a TLS listener, an autosave interval without persistence: the broker runs, and says so.</summary>
    [Fact]
    public async Task Settings_that_take_no_effect_are_named_in_a_warning()
    {
        await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartAsync(
            "--listen", "127.0.0.1:0", "--allow-anonymous", "--data", "data", "--cert", "absent.pem", "--key", "absent.key", "--autosave-interval", "60");

        await broker.Process.SignalAsync("TERM");
        Assert.Equal(0, await broker.Process.WaitForExitAsync(Waits.Process));
        Assert.Contains("warning: --cert/--key are not used", broker.Process.StandardError);
        Assert.Contains("warning: --autosave-interval is not used without --persistence", broker.Process.StandardError);
    }

    [Fact]
    public async Task Allow_anonymous_false_on_the_command_line_overrides_true_in_the_config_file()
    {
        string folder = MqttCoreBrokerProcess.NewFolder();
        try
        {
            string config = Path.Combine(folder, "open.json");
            await File.WriteAllTextAsync(config, """{ "listen": "127.0.0.1:0", "allow-anonymous": true }""");
            await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartAsync("--config", config, "--allow-anonymous", "false", "--data", "data");

            await using MqttNetPeer anonymous = await MqttNetPeer.TryConnectAsync(broker.Port, "anonymous");

            Assert.Equal(MqttClientConnectResultCode.NotAuthorized, anonymous.ConnectResult.ResultCode);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
