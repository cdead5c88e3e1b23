using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Mqtt.Codec;
using static Mqtt.Client.Tests.CliTests;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>The mosquitto_pub / mosquitto_sub flags `pub` and `sub` take with Mosquitto's meaning (docs/cli.md, "Mosquitto's flags").</summary>
public sealed class CliMosquittoFlagTests
{
    [SkippableTheory]
    [InlineData("ours")]
    [InlineData("mosquitto")]
    public async Task Sub_N_prints_payloads_back_to_back_without_an_end_of_line(string brokerName)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        var log = new SharedWriter();
        Task<CliRun> sub = RunAsync(["sub", "-p", $"{broker.Port}", "-t", "stream", "-q", "1", "-N", "-C", "2", "--verbose"], error: log);
        await log.WaitForAsync("SUBACK");

        await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "stream", "-m", "ab", "-q", "1"]).ExpectSuccess();
        await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "stream", "-m", "cd", "-q", "1"]).ExpectSuccess();

        CliRun result = await sub.WaitAsync(Patience);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("abcd", result.Output);
    }

    [SkippableTheory]
    [InlineData("ours")]
    [InlineData("mosquitto")]
    public async Task Pub_n_sends_a_zero_length_payload(string brokerName)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using MqttClient subscriber = await ConnectAsync(broker.Port);
        await subscriber.SubscribeAsync("null/msg", QualityOfService.AtLeastOnce);

        await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "null/msg", "-n", "-q", "1"]).ExpectSuccess();

        MqttApplicationMessage received = (await subscriber.ReceiveAsync(1))[0];
        Assert.Equal("null/msg", received.Topic);
        Assert.Equal(0, received.Payload.Length);
    }

    /// <summary>`-l` is mosquitto_pub's `--stdin-line`, our `-s`: one message per line, an empty line an empty message.</summary>
    [SkippableTheory]
    [InlineData("ours")]
    [InlineData("mosquitto")]
    public async Task Pub_l_publishes_each_stdin_line_as_a_message(string brokerName)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using MqttClient subscriber = await ConnectAsync(broker.Port);
        await subscriber.SubscribeAsync("lines/l", QualityOfService.AtLeastOnce);

        await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "lines/l", "-l", "-q", "1"], stdin: "one\n\nthree\n").ExpectSuccess();

        List<MqttApplicationMessage> received = await subscriber.ReceiveAsync(3);
        Assert.Equal(["one", "", "three"], received.Select(Text));
    }

    /// <summary>mosquitto's `-d` / `--debug` is our protocol log (`--verbose`), on stderr; `sub -v` still prints topics.</summary>
    [Theory]
    [InlineData("pub", "-d")]
    [InlineData("pub", "--debug")]
    [InlineData("sub", "-d")]
    [InlineData("sub", "--debug")]
    public async Task D_and_debug_log_protocol_events_to_stderr(string command, string flag)
    {
        await using OurBroker broker = await OurBroker.StartAsync();
        string[] what = command == "pub" ? ["-m", "x"] : ["-C", "1", "--timeout", "0.3"];
        CliRun quiet = await RunAsync([command, "-p", $"{broker.Port}", "-t", "debug/t", .. what]);
        CliRun logged = await RunAsync([command, "-p", $"{broker.Port}", "-t", "debug/t", .. what, flag]);

        Assert.Equal(quiet.ExitCode, logged.ExitCode);
        Assert.DoesNotContain("CONNECT sent", quiet.Error);
        Assert.Contains("CONNECT sent", logged.Error);
        Assert.Equal("", logged.Output);
    }

    /// <summary>`-E`: SUBSCRIBE, its SUBACK, then DISCONNECT and exit 0 (as mosquitto_sub -E), printing nothing.</summary>
    [Fact]
    public async Task Sub_E_disconnects_and_exits_0_once_subscribed()
    {
        await using var server = new FakeServer();
        Task<CliRun> sub = RunAsync(["sub", "-p", $"{server.Port}", "-t", "e/t", "-E"]);
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.AcceptConnectAsync();
        OwnedPacket sent = await connection.ExpectAsync(PacketType.Subscribe);
        Assert.True(SubscribePacket.TryRead(sent.Frame, ProtocolVersion.V500, out SubscribePacket subscribe, out _));
        await connection.SendAsync(w => new SubAckPacket { PacketId = subscribe.PacketId, ReasonCodes = new(new[] { (byte)0 }) }.Write(w, ProtocolVersion.V500));

        await connection.ExpectAsync(PacketType.Disconnect);
        CliRun result = await sub.WaitAsync(Patience);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Output);
    }

    /// <summary>`-U`: UNSUBSCRIBE once subscribed; a refusal in UNSUBACK exits 2 naming the code and the filter, as a SUBACK one does.</summary>
    [Fact]
    public async Task Sub_U_unsubscribes_once_subscribed_and_exits_2_when_refused()
    {
        await using var server = new FakeServer();
        Task<CliRun> sub = RunAsync(["sub", "-p", $"{server.Port}", "-t", "keep/#", "-U", "old/#"]);
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.AcceptConnectAsync();
        OwnedPacket sent = await connection.ExpectAsync(PacketType.Subscribe);
        Assert.True(SubscribePacket.TryRead(sent.Frame, ProtocolVersion.V500, out SubscribePacket subscribe, out _));
        await connection.SendAsync(w => new SubAckPacket { PacketId = subscribe.PacketId, ReasonCodes = new(new[] { (byte)0 }) }.Write(w, ProtocolVersion.V500));

        OwnedPacket unsent = await connection.ExpectAsync(PacketType.Unsubscribe);
        Assert.True(UnsubscribePacket.TryRead(unsent.Frame, ProtocolVersion.V500, out UnsubscribePacket unsubscribe, out _));
        Assert.Contains("old/#", Encoding.UTF8.GetString(unsent.Body));
        await connection.SendAsync(w => new UnsubAckPacket { PacketId = unsubscribe.PacketId, ReasonCodes = new(new[] { (byte)ReasonCode.NotAuthorized }) }.Write(w, ProtocolVersion.V500));

        CliRun result = await sub.WaitAsync(Patience);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("refused: 0x87 Not authorized (old/#)", result.Error.Trim());
    }

    /// <summary>
    /// `-W`: mosquitto_sub's timeout, counted from the connection: the messages before it are printed, then exit 3 (mosquitto_sub
    /// exits 27, "Timed out"), with -C too, whose wait it bounds instead of --timeout.
    /// </summary>
    [Theory]
    [InlineData]
    [InlineData("-C", "2")]
    public async Task Sub_W_prints_until_its_seconds_pass_then_exits_3(params string[] count)
    {
        await using OurBroker broker = await OurBroker.StartAsync();
        var log = new SharedWriter();
        var started = System.Diagnostics.Stopwatch.StartNew();
        Task<CliRun> sub = RunAsync(["sub", "-p", $"{broker.Port}", "-t", "w/t", "-q", "1", "-W", "1.5", "--timeout", "60", .. count, "--verbose"], error: log);
        await log.WaitForAsync("SUBACK");
        await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "w/t", "-m", "in time", "-q", "1"]).ExpectSuccess();

        CliRun result = await sub.WaitAsync(Patience);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal(["in time"], result.Lines);
        Assert.Contains("timeout: -W 1.5 s passed", result.Error);
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(1.4), TimeSpan.FromSeconds(8));
    }

    /// <summary>`-W` bounds the wait for SUBACK too: it runs from the connection, whatever --timeout says.</summary>
    [Fact]
    public async Task Sub_W_bounds_a_SUBACK_that_never_comes()
    {
        await using var server = new FakeServer();
        Task<CliRun> sub = RunAsync(["sub", "-p", $"{server.Port}", "-t", "w/t", "-W", "0.5", "--timeout", "60"]);
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.AcceptConnectAsync();
        await connection.ExpectAsync(PacketType.Subscribe);

        await connection.ExpectAsync(PacketType.Disconnect);
        CliRun result = await sub.WaitAsync(Patience);
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("timeout: -W 0.5 s passed", result.Error);
    }

    /// <summary>
    /// `-T FILTER` hides matching topics (section 4.7 matching, "a/#" covering "a"); hidden messages do not count for -C, so
    /// the last message (matched by none of the -T) is the one that completes the count.
    /// </summary>
    [Theory]
    [InlineData("tf/b/#", "tf/c tf/d")]
    [InlineData("tf/+", "tf/b/x")]
    [InlineData("tf/+/x", "tf/b tf/c tf/d")]
    [InlineData("+/+", "tf/b/x")]
    [InlineData("tf/c", "tf/b/x tf/b tf/d")]
    public async Task Sub_T_does_not_print_messages_whose_topic_matches(string filterOut, string printed)
    {
        await using OurBroker broker = await OurBroker.StartAsync();
        string[] expected = printed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var log = new SharedWriter();
        Task<CliRun> sub = RunAsync(["sub", "-p", $"{broker.Port}", "-t", "tf/#", "-T", filterOut, "-q", "1", "-v",
            "-C", $"{expected.Length + 1}", "--verbose"], error: log);
        await log.WaitForAsync("SUBACK");
        foreach (string topic in new[] { "tf/b/x", "tf/b", "tf/c", "tf/d", "tf/z/last" })
        {
            await RunAsync(["pub", "-p", $"{broker.Port}", "-t", topic, "-m", "m", "-q", "1"]).ExpectSuccess();
        }

        CliRun result = await sub.WaitAsync(Patience);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal([.. expected.Select(topic => $"{topic} m"), "tf/z/last m"], result.Lines);
    }

    /// <summary>`--retained-only`: the retained messages are printed, and the first fresh one ends the command (exit 0), unprinted.</summary>
    [SkippableTheory]
    [InlineData("ours")]
    [InlineData("mosquitto")]
    public async Task Sub_retained_only_prints_retained_messages_and_exits_0_at_the_first_fresh_one(string brokerName)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "ro/1", "-m", "one", "-r", "-q", "1"]).ExpectSuccess();
        await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "ro/2", "-m", "two", "-r", "-q", "1"]).ExpectSuccess();
        var log = new SharedWriter();
        Task<CliRun> sub = RunAsync(["sub", "-p", $"{broker.Port}", "-t", "ro/#", "--retained-only", "-v", "-q", "1", "--verbose"], error: log);
        await log.WaitForAsync("SUBACK");
        await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "ro/3", "-m", "fresh", "-q", "1"]).ExpectSuccess();

        CliRun result = await sub.WaitAsync(Patience);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["ro/1 one", "ro/2 two"], result.Lines.Order());
    }

    /// <summary>
    /// `-c`: `sub -c -E` leaves a session with the subscription, the broker queues a QoS 1 message for it while no one is
    /// connected, and the next `sub -c` with the same id gets it (MQTT 5: Clean Start 0 and a session that never expires).
    /// </summary>
    [SkippableTheory]
    [InlineData("ours", "5")]
    [InlineData("ours", "3.1.1")]
    [InlineData("mosquitto", "5")]
    [InlineData("mosquitto", "3.1.1")]
    public async Task Sub_c_resumes_its_session_and_gets_the_QoS_1_message_queued_while_away(string brokerName, string protocol)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        string[] session = ["-p", $"{broker.Port}", "-V", protocol, "-c", "-i", "cli-persistent", "-q", "1", "-t", "kept/t"];
        await RunAsync(["sub", .. session, "-E"]).ExpectSuccess();

        await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "kept/t", "-m", "queued while away", "-q", "1"]).ExpectSuccess();

        CliRun resumed = await RunAsync(["sub", .. session, "-C", "1"]).WaitAsync(Patience);
        Assert.Equal(0, resumed.ExitCode);
        Assert.Equal(["queued while away"], resumed.Lines);
    }

    /// <summary>
    /// A resumed session's backlog comes before the SUBACK, more of it than the client's message queue holds (1,024): sub
    /// prints it as it comes. Before (a probe against Mosquitto, whose session held 1,800 messages after its reader was
    /// killed), sub waited for the SUBACK first, the full queue stopped the client reading, and it exited 3 every time.
    /// </summary>
    [Fact]
    public async Task Sub_c_prints_a_backlog_larger_than_its_queue_that_comes_before_the_SUBACK()
    {
        const int Backlog = 3000;
        await using var server = new FakeServer();
        Task<CliRun> sub = RunAsync(["sub", "-p", $"{server.Port}", "-c", "-i", "backlog", "-t", "b/t", "-q", "1", "-C", $"{Backlog + 1}"]);
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.AcceptConnectAsync(sessionPresent: true);
        for (int i = 0; i < Backlog; i++)
        {
            var publish = new PublishPacket { Topic = new ReadOnlySequence<byte>("b/t"u8.ToArray()), Payload = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes($"{i}")) };
            await connection.SendAsync(w => publish.Write(w, ProtocolVersion.V500));
        }
        OwnedPacket subscribe = await connection.ExpectAsync(PacketType.Subscribe);
        ushort packetId = BinaryPrimitives.ReadUInt16BigEndian(subscribe.Body);
        await connection.SendAsync(w => new SubAckPacket { PacketId = packetId, ReasonCodes = new ReadOnlySequence<byte>([(byte)ReasonCode.GrantedQoS1]) }.Write(w, ProtocolVersion.V500));
        var last = new PublishPacket { Topic = new ReadOnlySequence<byte>("b/t"u8.ToArray()), Payload = new ReadOnlySequence<byte>("after"u8.ToArray()) };
        await connection.SendAsync(w => last.Write(w, ProtocolVersion.V500));

        CliRun result = await sub.WaitAsync(Patience);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(Backlog + 1, result.Lines.Length);
        Assert.Equal("after", result.Lines[^1]);
    }

    /// <summary>`-c -x 0`: the session is resumed at connect but ends with the connection, so nothing waits for the next one.</summary>
    [SkippableTheory]
    [InlineData("ours")]
    [InlineData("mosquitto")]
    public async Task Sub_c_with_x_0_keeps_no_session_after_disconnecting(string brokerName)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        string[] session = ["-p", $"{broker.Port}", "-c", "-x", "0", "-i", "cli-short", "-q", "1", "-t", "short/t"];
        await RunAsync(["sub", .. session, "-E"]).ExpectSuccess();

        await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "short/t", "-m", "lost", "-q", "1"]).ExpectSuccess();

        CliRun resumed = await RunAsync(["sub", .. session, "-C", "1", "-W", "1"]).WaitAsync(Patience);
        Assert.Equal(3, resumed.ExitCode);
        Assert.Equal("", resumed.Output);
    }

    /// <summary>`-U` with `-c` drops a subscription the session kept: the message published afterwards is not queued for it.</summary>
    [Fact]
    public async Task Sub_U_removes_a_subscription_from_the_persistent_session()
    {
        await using OurBroker broker = await OurBroker.StartAsync();
        string[] session = ["-p", $"{broker.Port}", "-c", "-i", "cli-unsub", "-q", "1"];
        await RunAsync(["sub", .. session, "-t", "u/dropped", "-t", "u/kept", "-E"]).ExpectSuccess();
        await RunAsync(["sub", .. session, "-t", "u/kept", "-U", "u/dropped", "-E"]).ExpectSuccess();

        await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "u/dropped", "-m", "dropped", "-q", "1"]).ExpectSuccess();
        await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "u/kept", "-m", "kept", "-q", "1"]).ExpectSuccess();

        CliRun resumed = await RunAsync(["sub", .. session, "-t", "u/kept", "-C", "2", "-W", "1"]).WaitAsync(Patience);
        Assert.Equal(["kept"], resumed.Lines);
    }

    /// <summary>What `-c`, `-x` and `-I` put in CONNECT: Clean Start, Session Expiry Interval (absent for 0) and the client id.</summary>
    [Theory]
    [InlineData(true, null, "cli-id", "-i", "cli-id")]
    [InlineData(false, uint.MaxValue, "cli-id", "-i", "cli-id", "-c")]
    [InlineData(false, 30u, "cli-id", "-i", "cli-id", "-c", "-x", "30")]
    [InlineData(false, null, "cli-id", "-i", "cli-id", "-c", "-x", "0")]
    [InlineData(true, 60u, "cli-id", "-i", "cli-id", "-x", "60")]
    [InlineData(true, uint.MaxValue, "cli-id", "-i", "cli-id", "-x", "-1")]
    [InlineData(true, uint.MaxValue, "cli-id", "-i", "cli-id", "-x", "∞")]
    [InlineData(true, 60u, "prefix-PID", "-I", "prefix-", "-x", "60")]
    public async Task C_x_and_I_set_clean_start_session_expiry_and_client_id_in_CONNECT(bool cleanStart, uint? expiry, string clientId, params string[] flags)
    {
        await using var server = new FakeServer();
        Task<CliRun> pub = RunAsync(["pub", "-p", $"{server.Port}", "-t", "t", "-m", "x", .. flags]);
        await using FakeConnection connection = await server.AcceptAsync();
        ConnectPacket connect = await connection.AcceptConnectAsync();

        Assert.Equal(cleanStart, connect.CleanStart);
        Assert.Equal(expiry, connect.Properties.SessionExpiryInterval);
        Assert.Equal(clientId.Replace("PID", $"{Environment.ProcessId}", StringComparison.Ordinal), Encoding.UTF8.GetString(connect.ClientId));
        await connection.ExpectAsync(PacketType.Publish);
        await connection.ExpectAsync(PacketType.Disconnect);
        Assert.Equal(0, (await pub.WaitAsync(Patience)).ExitCode);
    }

    [Fact]
    public async Task C_at_311_sends_Clean_Session_0()
    {
        await using var server = new FakeServer();
        Task<CliRun> pub = RunAsync(["pub", "-p", $"{server.Port}", "-t", "t", "-m", "x", "-V", "3.1.1", "-c", "-i", "cli-id"]);
        await using FakeConnection connection = await server.AcceptAsync();
        ConnectPacket connect = await connection.AcceptConnectAsync();

        Assert.Equal(ProtocolVersion.V311, connect.Version);
        Assert.False(connect.CleanStart);
        await connection.ExpectAsync(PacketType.Publish);
        await connection.ExpectAsync(PacketType.Disconnect);
        Assert.Equal(0, (await pub.WaitAsync(Patience)).ExitCode);
    }

    /// <summary>
    /// `--will-*`: when `sub`'s connection drops (cut between it and the broker), the broker publishes its Will with the
    /// payload (zero-length by default), QoS and RETAIN asked for; `sub` exits 5, connection lost.
    /// </summary>
    [SkippableTheory]
    [InlineData("ours", "gone", "1", true)]
    [InlineData("ours", null, "0", false)]
    [InlineData("mosquitto", "gone", "2", true)]
    public async Task Will_is_published_by_the_broker_when_the_connection_drops(string brokerName, string? payload, string qos, bool retain)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await using var relay = new TcpRelay(broker.Port);
        await using MqttClient watcher = await ConnectAsync(broker.Port);
        await watcher.SubscribeAsync("will/cli", QualityOfService.ExactlyOnce);
        string[] willOptions = ["--will-topic", "will/cli", "--will-qos", qos, .. payload is null ? [] : new[] { "--will-payload", payload },
            .. retain ? ["--will-retain"] : Array.Empty<string>()];
        var log = new SharedWriter();
        Task<CliRun> sub = RunAsync(["sub", "-p", $"{relay.Port}", "-t", "will/other", .. willOptions, "--verbose"], error: log);
        await log.WaitForAsync("SUBACK");

        relay.Cut();

        MqttApplicationMessage will = (await watcher.ReceiveAsync(1))[0];
        Assert.Equal(payload ?? "", Text(will));
        Assert.Equal((QualityOfService)int.Parse(qos, System.Globalization.CultureInfo.InvariantCulture), will.QoS);
        Assert.Equal(5, (await sub.WaitAsync(Patience)).ExitCode);
        await using MqttClient late = await ConnectAsync(broker.Port);
        await late.SubscribeAsync("will/cli");
        if (retain)
        {
            Assert.True((await late.ReceiveAsync(1))[0].Retain);
        }
        else
        {
            await late.AssertNothingReceivedAsync(TimeSpan.FromMilliseconds(300));
        }
    }

    /// <summary>A run that ends normally sends DISCONNECT, so the broker discards the Will.</summary>
    [Theory]
    [InlineData("sub", "-t", "will/other", "-E")]
    [InlineData("pub", "-t", "will/other", "-m", "x")]
    public async Task Will_is_not_published_when_the_command_ends_normally(params string[] args)
    {
        await using OurBroker broker = await OurBroker.StartAsync();
        await using MqttClient watcher = await ConnectAsync(broker.Port);
        await watcher.SubscribeAsync("will/cli");

        await RunAsync([.. args, "-p", $"{broker.Port}", "--will-topic", "will/cli", "--will-payload", "gone"]).ExpectSuccess();

        await watcher.AssertNothingReceivedAsync(TimeSpan.FromMilliseconds(500));
    }

    /// <summary>
    /// A run the broker refuses also ends with DISCONNECT, as mosquitto_pub's and mosquitto_sub's do, so the Will is
    /// discarded (found by review: the refused run closed without it and the broker published the Will).
    /// </summary>
    [Theory]
    [InlineData("sub", "-t", "too/deep/a/filter")] // SUBACK 0x8F: more levels than the broker takes
    [InlineData("pub", "-t", "will/other", "-m", "x", "-q", "1", "-r")] // PUBACK 0x97: no room for a retained message
    public async Task Will_is_not_published_when_the_broker_refuses_the_run(params string[] args)
    {
        await using OurBroker broker = await OurBroker.StartAsync(o => (o.MaximumTopicLevels, o.MaximumRetainedBytes) = (3, 1));
        await using MqttClient watcher = await ConnectAsync(broker.Port);
        await watcher.SubscribeAsync("will/cli");

        CliRun run = await RunAsync([.. args, "-p", $"{broker.Port}", "--will-topic", "will/cli", "--will-payload", "gone"]);

        Assert.Equal(2, run.ExitCode); // refused by the broker (CLI.md)
        await watcher.AssertNothingReceivedAsync(TimeSpan.FromMilliseconds(500));
    }

    /// <summary>--will-payload is a payload, as -m is: text that lost bytes is sent with U+FFFD, not refused (port 1: exit 5, not 1).</summary>
    [Fact]
    public async Task Will_payload_is_not_refused_for_lost_bytes()
    {
        CliRun result = await RunAsync(["pub", "-t", "t", "-m", "x", "--will-topic", "w", "--will-payload", "bin\uFFFDpayload", "-p", "1"]);
        Assert.Equal(5, result.ExitCode);
    }

    [Theory]
    [InlineData("give exactly one of", "pub", "-t", "t", "-n", "-m", "x")]
    [InlineData("give exactly one of", "pub", "-t", "t", "-l", "-f", "/etc/hostname")]
    [InlineData("both read stdin", "pub", "-t", "t", "-l", "--password-stdin")]
    [InlineData("-W must be more than 0", "sub", "-t", "t", "-W", "0")]
    [InlineData("-c needs a client id (-i)", "sub", "-t", "t", "-c")]
    [InlineData("-c needs a client id (-i)", "pub", "-t", "t", "-m", "x", "-c", "-I", "prefix")]
    [InlineData("-x -1 (a session that never expires) needs a client id (-i)", "sub", "-t", "t", "-x", "-1")]
    [InlineData("-x needs MQTT 5", "sub", "-t", "t", "-x", "60", "-V", "3.1.1")]
    [InlineData("-x must be 0..4294967295 seconds", "pub", "-t", "t", "-m", "x", "-x", "soon")]
    [InlineData("-x must be 0..4294967295 seconds", "pub", "-t", "t", "-m", "x", "-x", "4294967296")]
    [InlineData("not both", "pub", "-t", "t", "-m", "x", "-i", "a", "-I", "b")]
    [InlineData("give it with -i, not -I", "recv", "-u", "bob", "--from", "alice", "-I", "p")]
    [InlineData("not -I", "bench", "connect", "-I", "p")]
    [InlineData("would print nothing", "sub", "-t", "t", "-R", "--retained-only")]
    [InlineData("need --will-topic", "sub", "-t", "t", "--will-payload", "x")]
    [InlineData("need --will-topic", "pub", "-t", "t", "-m", "x", "--will-retain")]
    [InlineData("--will-topic 'a/+' is not a Topic Name", "pub", "-t", "t", "-m", "x", "--will-topic", "a/+")]
    [InlineData("--will-topic is not valid UTF-8", "pub", "-t", "t", "-m", "x", "--will-topic", "a\uFFFD")]
    [InlineData("-T 'a/#/b' is not a Topic Filter", "sub", "-t", "t", "-T", "a/#/b")]
    [InlineData("-U 'a+' is not a Topic Filter", "sub", "-t", "t", "-U", "a+")]
    public async Task Mosquitto_flags_used_wrongly_exit_1_before_connecting(string expected, params string[] args)
    {
        CliRun result = await RunAsync([.. args, "-p", "1"]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(expected, result.Error);
        Assert.Equal("", result.Output);
    }
}
