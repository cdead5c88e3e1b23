using System.Buffers;
using System.Text;
using System.CommandLine;
using Mqtt.Cli;
using Mqtt.Cli.Commands;
using Mqtt.Codec;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>`mqttcore pub` and `sub` run in-process (Program.Run) against our broker and Mosquitto, checking output and exit codes of CLI.md.</summary>
public sealed class CliTests
{
    [SkippableTheory]
    [InlineData("ours")]
    [InlineData("mosquitto")]
    public async Task Sub_prints_topic_and_payload_with_v_and_exits_after_count(string brokerName)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "cli/state", "-m", "retained one", "-r", "-q", "1"]).ExpectSuccess();

        CliRun sub = await RunAsync(["sub", "-p", $"{broker.Port}", "-t", "cli/#", "-v", "-C", "1"]);
        Assert.Equal(0, sub.ExitCode);
        Assert.Equal(["cli/state retained one"], sub.Lines);
    }

    [SkippableTheory]
    [InlineData("ours")]
    [InlineData("mosquitto")]
    public async Task Pub_and_sub_with_ws_go_over_websocket(string brokerName)
    {
        await using IBroker broker = brokerName == "mosquitto"
            ? await MosquittoBroker.StartAsync(webSocket: true)
            : await OurBroker.StartAsync(o => o.WebSocketListeners.Add(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0)));
        int webSocketPort = broker is OurBroker ours ? ours.WebSocketPort : ((MosquittoBroker)broker).WebSocketPort;
        var log = new SharedWriter();
        Task<CliRun> sub = RunAsync(["sub", "--ws", "-p", $"{webSocketPort}", "-t", "cli/ws", "-v", "-C", "1", "--verbose"], error: log);
        await log.WaitForAsync("SUBACK");

        await RunAsync(["pub", "--ws-path", "/mqtt", "-p", $"{webSocketPort}", "-t", "cli/ws", "-m", "over websocket", "-q", "1"]).ExpectSuccess();

        CliRun result = await sub.WaitAsync(Patience);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["cli/ws over websocket"], result.Lines);
        // The TCP port is not a WebSocket one: --ws against it cannot connect (CLI.md exit 5, unreachable).
        Assert.Equal(5, (await RunAsync(["pub", "--ws", "-p", $"{broker.Port}", "-t", "cli/ws", "-m", "x"])).ExitCode);
    }

    [SkippableTheory]
    [InlineData("ours", "5")]
    [InlineData("ours", "3.1.1")]
    [InlineData("mosquitto", "5")]
    [InlineData("mosquitto", "3.1.1")]
    public async Task Pub_stdin_lines_reach_sub(string brokerName, string protocol)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        var log = new SharedWriter();
        Task<CliRun> sub = RunAsync(["sub", "-p", $"{broker.Port}", "-t", "lines", "-C", "3", "-q", "1", "-V", protocol, "--verbose"], error: log);
        await log.WaitForAsync("SUBACK");

        await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "lines", "-s", "-q", "1", "-V", protocol], stdin: "one\ntwo\nthree\n").ExpectSuccess();

        CliRun result = await sub.WaitAsync(Patience);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["one", "two", "three"], result.Lines);
    }

    [SkippableTheory]
    [InlineData("ours")]
    [InlineData("mosquitto")]
    public async Task Sub_R_skips_retained_messages(string brokerName)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        // QoS 1, so that pub exits only once the broker has the retained message: at QoS 0 a loaded broker could
        // handle the SUBSCRIBE below first and deliver "stale" live, without RETAIN.
        await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "fresh", "-m", "stale", "-r", "-q", "1"]).ExpectSuccess();
        var log = new SharedWriter();
        Task<CliRun> sub = RunAsync(["sub", "-p", $"{broker.Port}", "-t", "fresh", "-R", "-C", "1", "--verbose"], error: log);
        await log.WaitForAsync("SUBACK");
        await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "fresh", "-m", "live"]).ExpectSuccess();

        CliRun result = await sub.WaitAsync(Patience);
        Assert.Equal(["live"], result.Lines);
    }

    [SkippableTheory]
    [InlineData("ours")]
    [InlineData("mosquitto")]
    public async Task Sub_exits_3_when_count_is_not_reached_before_the_timeout(string brokerName)
    {
        await using IBroker broker = await Brokers.StartAsync(brokerName);
        CliRun result = await RunAsync(["sub", "-p", $"{broker.Port}", "-t", "silence", "-C", "1", "--timeout", "0.5"]);
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("timeout", result.Error);
    }

    /// <summary>`sub | head -n 1`: once the reader is gone, sub disconnects and exits 0 as mosquitto_sub, not a timeout.</summary>
    [Fact]
    public async Task Sub_whose_output_is_closed_sends_DISCONNECT_and_exits_0()
    {
        await using var server = new FakeServer();
        var error = new SharedWriter();
        Task<int> sub = Task.Run(() => Program.Run(["sub", "-p", $"{server.Port}", "-t", "t", "-C", "5"],
            new InvocationConfiguration { Output = new ClosedPipeWriter(), Error = error, ProcessTerminationTimeout = null }));
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.AcceptConnectAsync();
        OwnedPacket sent = await connection.ExpectAsync(PacketType.Subscribe);
        Assert.True(SubscribePacket.TryRead(sent.Frame, ProtocolVersion.V500, out SubscribePacket subscribe, out _));
        await connection.SendAsync(w => new SubAckPacket { PacketId = subscribe.PacketId, ReasonCodes = new(new[] { (byte)0 }) }.Write(w, ProtocolVersion.V500));
        await connection.SendAsync(w => new PublishPacket { Topic = MqttUtf8.Encode("t"), Payload = new("x"u8.ToArray()) }.Write(w, ProtocolVersion.V500));

        await connection.ExpectAsync(PacketType.Disconnect);
        Assert.Equal(0, await sub.WaitAsync(Patience));
        Assert.Equal("", error.ToString());
    }

    /// <summary>
    /// Topics, files and passwords that cannot be used are usage errors before connecting (port 1: nothing listens):
    /// they were sent (a topic not UTF-8 went out altered) or failed after the CONNECT with .NET's exception text
    /// (found by a CLI review). A filter is judged by the rules of the protocol asked for.
    /// </summary>
    [Theory]
    [InlineData("is not a Topic Name", "pub", "-t", "a/#", "-m", "x")]
    [InlineData("is not a Topic Filter", "sub", "-t", "a/#/b")]
    [InlineData("--topic is not valid UTF-8", "pub", "-t", "bin\uFFFDtopic", "-m", "x")]
    [InlineData("--topic is not valid UTF-8", "sub", "-t", "bin\uFFFDtopic")]
    [InlineData("-f /nonexistent/file: no such file", "pub", "-t", "a", "-f", "/nonexistent/file")]
    [InlineData("-f /: a folder, not a file", "pub", "-t", "a", "-f", "/")]
    [InlineData("--password is not valid UTF-8", "pub", "-t", "a", "-m", "x", "-u", "bob", "-P", "p\uFFFD")]
    public async Task Unusable_topics_files_and_passwords_exit_1_before_connecting(string expected, params string[] args)
    {
        CliRun result = await RunAsync([.. args, "-p", "1"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(expected, result.Error);
        Assert.DoesNotContain("cannot reach", result.Error);
    }

    [Fact]
    public async Task A_dollar_share_filter_without_the_shared_form_is_a_plain_filter_at_311()
    {
        CliRun result = await RunAsync(["sub", "-t", "$share/g", "-V", "3.1.1", "-p", "1", "--timeout", "2"]);

        Assert.Equal(5, result.ExitCode); // it went on to connect
    }

    /// <summary>A sub that times out before its COUNT ends as any run does, with DISCONNECT (it just closed; found by a CLI review).</summary>
    [Fact]
    public async Task Sub_that_times_out_before_its_count_sends_DISCONNECT_and_exits_3()
    {
        await using var server = new FakeServer();
        (Task<CliRun> sub, FakeConnection accepted) = await RunConnectedAsync(server, ["sub", "-t", "t", "-C", "1", "--timeout", "1"]);
        await using FakeConnection connection = accepted;
        OwnedPacket sent = await connection.ExpectAsync(PacketType.Subscribe);
        Assert.True(SubscribePacket.TryRead(sent.Frame, ProtocolVersion.V500, out SubscribePacket subscribe, out _));
        await connection.SendAsync(w => new SubAckPacket { PacketId = subscribe.PacketId, ReasonCodes = new(new[] { (byte)0 }) }.Write(w, ProtocolVersion.V500));

        await connection.ExpectAsync(PacketType.Disconnect);
        CliRun result = await sub.WaitAsync(Patience);
        Assert.Equal(3, result.ExitCode);
    }

    [Fact]
    public async Task Sub_exits_3_when_the_broker_never_answers_the_SUBSCRIBE_within_the_timeout()
    {
        await using var server = new FakeServer();
        // Long enough for the connect (which --timeout bounds too) to be in time on a loaded machine.
        (Task<CliRun> sub, FakeConnection accepted) = await RunConnectedAsync(server, ["sub", "-t", "t", "--timeout", "2"]);
        await using FakeConnection connection = accepted;
        await connection.ExpectAsync(PacketType.Subscribe);

        CliRun result = await sub.WaitAsync(Patience);
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("timeout: the broker did not answer within 2 s", result.Error);
    }

    [Theory]
    [InlineData(null, 60)]
    [InlineData("10", 10)]
    [InlineData("0", 0)]
    public async Task Pub_k_sets_the_keep_alive_asked_for_in_CONNECT(string? keepAlive, int expected)
    {
        await using var server = new FakeServer();
        Task<CliRun> pub = RunAsync(["pub", "-p", $"{server.Port}", "-t", "t", "-m", "x", "-V", "3.1.1", .. keepAlive is null ? Array.Empty<string>() : ["-k", keepAlive]]);
        await using FakeConnection connection = await server.AcceptAsync();
        OwnedPacket connect = await connection.ExpectAsync(PacketType.Connect);
        Assert.True(ConnectPacket.TryRead(connect.Frame, out ConnectPacket c, out _));
        Assert.Equal(expected, c.KeepAlive);
        await connection.SendAsync(w => new ConnAckPacket().Write(w, ProtocolVersion.V311));
        await connection.ExpectAsync(PacketType.Publish);
        Assert.Equal(0, (await pub.WaitAsync(Patience)).ExitCode);
    }

    [Fact]
    public async Task An_MQTT_311_only_broker_refusing_level_5_exits_2_with_0x84_and_a_hint()
    {
        await using var server = new FakeServer();
        Task<CliRun> pub = RunAsync(["pub", "-p", $"{server.Port}", "-t", "t", "-m", "x"]);
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.ExpectAsync(PacketType.Connect);
        await connection.SendAsync(new byte[] { 0x20, 0x02, 0x00, 0x01 }); // 3.1.1 CONNACK: unacceptable protocol level [MQTT-3.1.2-2]

        CliRun result = await pub.WaitAsync(Patience);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("refused: 0x84 Unsupported protocol version", result.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("-V 3.1.1", result.Error);
        Assert.Empty(await connection.ReadToEndAsync()); // no MQTT 5 DISCONNECT to a 3.1.1 server
    }

    [Theory]
    [InlineData("1", 0x40)]
    [InlineData("2", 0x50)]
    public async Task Pub_refused_with_0x95_in_PUBACK_or_PUBREC_as_Mosquitto_does_exits_2(string qos, byte ackHeader)
    {
        await using var server = new FakeServer();
        (Task<CliRun> pub, FakeConnection accepted) = await RunConnectedAsync(server, ["pub", "-t", "t", "-m", "too big", "-q", qos]);
        await using FakeConnection connection = accepted;
        OwnedPacket sent = await connection.ExpectAsync(PacketType.Publish);
        Assert.True(PublishPacket.TryRead(sent.Frame, ProtocolVersion.V500, out PublishPacket publish, out _));
        // Mosquitto's answer over message_size_limit: 0x95, which neither packet may carry [MQTT-3.4.2-1] [MQTT-3.5.2-1].
        await connection.SendAsync(new byte[] { ackHeader, 0x03, (byte)(publish.PacketId >> 8), (byte)publish.PacketId, 0x95 });

        CliRun result = await pub.WaitAsync(Patience);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("refused: 0x95 Packet too large", result.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Anonymous_pub_sends_no_user_name_and_no_password()
    {
        await using var server = new FakeServer();
        Task<CliRun> pub = RunAsync(["pub", "-p", $"{server.Port}", "-t", "t", "-m", "x"]);
        await using FakeConnection connection = await server.AcceptAsync();
        OwnedPacket connect = await connection.ExpectAsync(PacketType.Connect);
        Assert.True(ConnectPacket.TryRead(connect.Frame, out ConnectPacket c, out _));
        Assert.Null(c.UserName);
        Assert.Null(c.Password);
        await connection.SendAsync(w => new ConnAckPacket().Write(w, ProtocolVersion.V500));
        await connection.ExpectAsync(PacketType.Publish);
        await connection.ExpectAsync(PacketType.Disconnect);
        Assert.Equal(0, (await pub.WaitAsync(Patience)).ExitCode);
    }

    /// <summary>mosquitto_pub's spellings of -V, which a Mosquitto user types from habit, select the same protocol levels.</summary>
    [Theory]
    [InlineData("mqttv311", ProtocolVersion.V311)]
    [InlineData("311", ProtocolVersion.V311)]
    [InlineData("3.1.1", ProtocolVersion.V311)]
    [InlineData("mqttv5", ProtocolVersion.V500)]
    [InlineData("5", ProtocolVersion.V500)]
    public async Task Pub_V_accepts_mosquitto_spellings(string spelling, ProtocolVersion expected)
    {
        await using var server = new FakeServer();
        Task<CliRun> pub = RunAsync(["pub", "-p", $"{server.Port}", "-t", "t", "-m", "x", "-V", spelling]);
        await using FakeConnection connection = await server.AcceptAsync();
        OwnedPacket connect = await connection.ExpectAsync(PacketType.Connect);
        Assert.True(ConnectPacket.TryRead(connect.Frame, out ConnectPacket c, out _));
        Assert.Equal(expected, c.Version);
        await connection.SendAsync(w => new ConnAckPacket().Write(w, expected));
        await connection.ExpectAsync(PacketType.Publish);
        await connection.ExpectAsync(PacketType.Disconnect);
        Assert.Equal(0, (await pub.WaitAsync(Patience)).ExitCode);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public async Task Pub_with_QoS_exits_0_once_our_broker_acknowledged_and_sub_gets_it_at_that_QoS(string qos)
    {
        await using OurBroker broker = await OurBroker.StartAsync();
        var log = new SharedWriter();
        Task<CliRun> sub = RunAsync(["sub", "-p", $"{broker.Port}", "-t", "acked/+", "-q", "2", "-v", "-C", "1", "--verbose"], error: log);
        await log.WaitForAsync("SUBACK");

        CliRun pub = await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "acked/x", "-m", "hello", "-q", qos]);
        Assert.True(pub.ExitCode == 0, pub.Error);

        CliRun result = await sub.WaitAsync(Patience);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["acked/x hello"], result.Lines);
    }

    [Fact]
    public async Task Pub_to_our_broker_with_no_subscriber_still_exits_0()
    {
        await using OurBroker broker = await OurBroker.StartAsync();
        CliRun pub = await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "nobody/listens", "-m", "x", "-q", "1"]);
        Assert.True(pub.ExitCode == 0, pub.Error); // PUBACK 0x10 No matching subscribers is a success
    }

    [Fact]
    public async Task Sub_exits_2_when_our_broker_refuses_the_filter()
    {
        await using OurBroker broker = await OurBroker.StartAsync(o => o.Authorizer = new NoSecrets());
        CliRun result = await RunAsync(["sub", "-p", $"{broker.Port}", "-t", "public/#", "-t", "secret/#", "-C", "1", "--timeout", "5"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("refused: 0x87 Not authorized (secret/#)", result.Error.Trim());
    }

    [Fact]
    public async Task Pub_exits_2_when_our_broker_refuses_the_message()
    {
        await using OurBroker broker = await OurBroker.StartAsync(o => o.Authorizer = new NoSecrets());
        CliRun result = await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "secret/plans", "-m", "x", "-q", "1"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("refused: 0x87 Not authorized", result.Error.Trim());
    }

    /// <summary>Before the fix this exited 5 ("connection failed") although the connection was fine.</summary>
    [Fact]
    public async Task Pub_over_the_brokers_maximum_packet_size_exits_2_with_0x95()
    {
        await using OurBroker broker = await OurBroker.StartAsync(o => o.MaximumPacketSize = 1024);
        CliRun result = await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "t", "-m", new string('x', 2000), "-q", "1"]);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("refused: 0x95 Packet too large (", result.Error.Trim());
        Assert.Contains("Maximum Packet Size of 1024", result.Error);
    }

    /// <summary>Before the fix these exited 5 ("connection failed") although the broker was reached.</summary>
    [SkippableFact]
    public async Task Pub_over_the_brokers_maximum_qos_or_retain_support_exits_2_naming_the_limit()
    {
        await using MosquittoBroker broker = await MosquittoBroker.StartAsync(settings: "max_qos 1\nretain_available false");
        CliRun qos = await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "t", "-m", "x", "-q", "2"]);
        CliRun retain = await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "t", "-m", "x", "-r"]);
        Assert.Equal((2, 2), (qos.ExitCode, retain.ExitCode));
        Assert.StartsWith("refused: 0x9B", qos.Error.Trim());
        Assert.StartsWith("refused: 0x9A", retain.Error.Trim());
    }

    [Fact]
    public async Task Refused_by_our_broker_exits_2_naming_the_reason_code()
    {
        await using OurBroker broker = await OurBroker.StartAsync(o => o.AllowAnonymous = false);
        CliRun result = await RunAsync(["pub", "-p", $"{broker.Port}", "-t", "t", "-m", "x"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("refused: 0x87 Not authorized", result.Error.Trim());
    }

    [Fact]
    public async Task Pub_and_sub_with_cafile_verify_our_TLS_broker()
    {
        TestCertificates pki = TestCertificates.Default;
        await using OurBroker broker = await OurBroker.StartAsync(certificate: pki.ServerCertificate);
        var log = new SharedWriter();
        Task<CliRun> sub = RunAsync(["sub", "-p", $"{broker.TlsPort}", "--cafile", pki.CaFile, "-t", "tls/cli", "-C", "1", "--verbose"], error: log);
        await log.WaitForAsync("SUBACK");

        CliRun pub = await RunAsync(["pub", "-p", $"{broker.TlsPort}", "--cafile", pki.CaFile, "-t", "tls/cli", "-m", "over tls", "-q", "1"]);
        Assert.True(pub.ExitCode == 0, pub.Error);
        CliRun result = await sub.WaitAsync(Patience);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["over tls"], result.Lines);
    }

    [Theory]
    [InlineData("--tls")]
    [InlineData("--cafile")]
    public async Task Pub_exits_5_when_the_TLS_broker_cannot_be_verified(string how)
    {
        await using OurBroker broker = await OurBroker.StartAsync(certificate: TestCertificates.Default.ServerCertificate);
        string[] tls = how == "--tls" ? ["--tls"] : ["--cafile", TestCertificates.Unrelated.CaFile];
        CliRun result = await RunAsync(["pub", "-p", $"{broker.TlsPort}", .. tls, "-t", "t", "-m", "x"]);
        Assert.Equal(5, result.ExitCode);
        Assert.Contains("TLS handshake", result.Error);
        Assert.Contains("hint: the broker's certificate was not accepted", result.Error);
    }

    [Fact]
    public async Task Pub_insecure_connects_to_a_TLS_broker_it_cannot_verify()
    {
        await using OurBroker broker = await OurBroker.StartAsync(certificate: TestCertificates.Unrelated.ServerCertificate);
        CliRun result = await RunAsync(["pub", "-p", $"{broker.TlsPort}", "--insecure", "-t", "t", "-m", "x", "-q", "1"]);
        Assert.True(result.ExitCode == 0, result.Error);
    }

    [Fact]
    public async Task Pub_exits_5_when_the_broker_cannot_be_reached()
    {
        CliRun result = await RunAsync(["pub", "-p", $"{FreePort.Next()}", "-t", "t", "-m", "x"]);
        Assert.Equal(5, result.ExitCode);
        Assert.Contains("cannot reach", result.Error);
    }

    [Fact]
    public async Task Refused_connection_exits_2_naming_the_reason_code()
    {
        await using var server = new FakeServer();
        Task<CliRun> pub = RunAsync(["pub", "-p", $"{server.Port}", "-t", "t", "-m", "x", "-u", "bob", "-P", "wrong", "--auth", "plain"]);
        await using FakeConnection connection = await server.AcceptAsync();
        OwnedPacket connect = await connection.ExpectAsync(PacketType.Connect);
        Assert.True(ConnectPacket.TryRead(connect.Frame, out ConnectPacket c, out _));
        Assert.Equal("bob", MqttUtf8.GetString(c.UserName!.Value));
        Assert.Equal("wrong", MqttUtf8.GetString(c.Password!.Value));
        await connection.SendAsync(w => new ConnAckPacket { ReasonCode = ReasonCode.BadUserNameOrPassword }.Write(w, ProtocolVersion.V500));

        CliRun result = await pub.WaitAsync(Patience);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(["warning: sending the password in clear text (no --tls)", "refused: 0x86 Bad User Name or Password"], result.Error.Trim().Split('\n'));
    }

    /// <summary>
    /// Before the fix `--auth plain` sent the password readable over plain TCP without a word. The warning changes no
    /// exit code (here 5, nothing listens); SCRAM never sends the password, and `none` sends none.
    /// </summary>
    [Theory]
    [InlineData(true, "--auth", "plain")]
    [InlineData(true, "--auth", "plain", "-V", "3.1.1")]
    [InlineData(true, "--auth", "plain", "--ws")]
    [InlineData(false, "--auth", "plain", "--tls")]
    [InlineData(false, "--auth", "plain", "--ws", "--tls")]
    [InlineData(false, "--auth", "plain", "--insecure")]
    [InlineData(false, "--auth", "none")]
    [InlineData(false)] // SCRAM, the default with -u
    public async Task A_password_sent_in_clear_text_is_warned_about_on_stderr(bool warned, params string[] options)
    {
        CliRun result = await RunAsync(["pub", "-p", $"{FreePort.Next()}", "-t", "t", "-m", "x", "-u", "bob", "-P", "pw", .. options]);

        Assert.Equal(5, result.ExitCode);
        Assert.Equal(warned, result.Error.Contains("warning: sending the password in clear text (no --tls)", StringComparison.Ordinal));
        Assert.Equal("", result.Output);
    }

    /// <summary>What Mosquitto answers a SCRAM login (the default with -u): the refusal says how to log in there.</summary>
    [Fact]
    public async Task A_refused_authentication_method_exits_2_with_a_hint_to_use_auth_plain()
    {
        await using var server = new FakeServer();
        Task<CliRun> pub = RunAsync(["pub", "-p", $"{server.Port}", "-t", "t", "-m", "x", "-u", "bob", "-P", "pw"]);
        await using FakeConnection connection = await server.AcceptAsync();
        await connection.ExpectAsync(PacketType.Connect);
        await connection.SendAsync(w => new ConnAckPacket { ReasonCode = ReasonCode.BadAuthenticationMethod }.Write(w, ProtocolVersion.V500));

        CliRun result = await pub.WaitAsync(Patience);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("refused: 0x8C Bad authentication method", result.Error);
        Assert.Contains("--auth plain", result.Error);
    }

    [Theory]
    [InlineData("pub", "-t", "t")] // no message source
    [InlineData("pub", "-t", "t", "-m", "x", "-s")] // two sources
    [InlineData("pub", "-m", "x")] // no topic
    [InlineData("pub", "-t", "t", "-m", "x", "-q", "3")]
    [InlineData("sub", "-t", "t", "-V", "4")]
    [InlineData("sub", "-t", "t", "--bogus")]
    public async Task Bad_usage_exits_1(params string[] args)
    {
        CliRun result = await RunAsync(args);
        Assert.Equal(1, result.ExitCode);
        Assert.NotEmpty(result.Error);
    }

    /// <summary>
    /// Before the fix `--timeout -1` waited for ever, `-p 0` meant 1883, `-p 70000` failed later with a .NET message,
    /// and a value that is not a number was reported with the .NET type name (System.Nullable`1[System.Int32]).
    /// </summary>
    [Theory]
    [InlineData("--timeout must be 0..2000000", "sub", "-t", "t", "-C", "1", "--timeout", "-1")]
    [InlineData("--timeout must be 0..2000000", "sub", "-t", "t", "--timeout", "NaN")]
    [InlineData("--port must be 1..65535, not 0", "pub", "-t", "t", "-m", "x", "-p", "0")]
    [InlineData("--port must be 1..65535, not 70000", "pub", "-t", "t", "-m", "x", "-p", "70000")]
    [InlineData("--port needs a whole number, not 'abc'", "pub", "-t", "t", "-m", "x", "-p", "abc")]
    [InlineData("--timeout needs a number, not 'soon'", "sub", "-t", "t", "--timeout", "soon")]
    [InlineData("--keepalive must be 0..65535, not 70000", "pub", "-t", "t", "-m", "x", "-k", "70000")]
    [InlineData("Required argument missing for option: '-m'", "pub", "-t", "t", "-m")]
    [InlineData("Required argument missing for option: '-f'", "pub", "-t", "t", "-f")]
    [InlineData("--count needs a whole number, not 'x'", "sub", "-t", "t", "-C", "x")]
    [InlineData("Required argument missing for option: '-C'", "sub", "-t", "t", "-C")]
    [InlineData("--count needs a whole number, not 'x'", "recv", "-u", "bob", "--from", "alice", "-C", "x")]
    [InlineData("Required argument missing for option: '-m'", "send", "-u", "alice", "--to", "bob", "-m")]
    public async Task A_bad_value_exits_1_naming_the_option_in_plain_words(string message, params string[] args)
    {
        CliRun result = await RunAsync(args);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.DoesNotContain("System.", result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task Values_starting_with_at_are_taken_literally_not_as_response_files()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "injected -r");
            await using var server = new FakeServer();
            (Task<CliRun> pub, FakeConnection accepted) = await RunConnectedAsync(server, ["pub", "-t", "@team", "-m", $"@{file}", "-q", "1"]);
            await using FakeConnection connection = accepted;
            OwnedPacket sent = await connection.ExpectAsync(PacketType.Publish);
            Assert.True(PublishPacket.TryRead(sent.Frame, ProtocolVersion.V500, out PublishPacket publish, out _));
            Assert.Equal(("@team", $"@{file}", false), (publish.TopicString, Encoding.UTF8.GetString(publish.Payload.ToArray()), publish.Retain));
            await connection.SendAsync(w => new PubAckPacket { PacketId = publish.PacketId }.Write(w, ProtocolVersion.V500));
            Assert.Equal(0, (await pub.WaitAsync(Patience)).ExitCode);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Scram_the_default_with_a_user_needs_MQTT_5_and_a_password()
    {
        CliRun v311 = await RunAsync(["pub", "-t", "t", "-m", "x", "-u", "bob", "-P", "pw", "-V", "3.1.1"]);
        Assert.Equal(1, v311.ExitCode);
        Assert.Contains("needs MQTT 5", v311.Error);
        CliRun noUser = await RunAsync(["pub", "-t", "t", "-m", "x", "--auth", "scram-sha-512", "-P", "pw"]);
        Assert.Equal(1, noUser.ExitCode);
        Assert.Contains("needs a user name", noUser.Error);
    }

    [Fact]
    public async Task Help_keeps_h_for_the_host()
    {
        CliRun result = await RunAsync(["sub", "--help"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("-h, --host", result.Output);
        Assert.Contains("-v, --verbose-topics", result.Output);
        Assert.DoesNotContain("-h, --help", result.Output);
    }

    /// <summary>Our broker's authorizer for refusal tests: nothing under secret/ may be published or subscribed to.</summary>
    private sealed class NoSecrets : Mqtt.Broker.IAuthorizer
    {
        public ValueTask<bool> CanPublishAsync(Mqtt.Broker.ClientInfo client, string topic) => new(!topic.StartsWith("secret/", StringComparison.Ordinal));

        public ValueTask<bool> CanSubscribeAsync(Mqtt.Broker.ClientInfo client, string filter) => new(!filter.StartsWith("secret/", StringComparison.Ordinal));

        public bool CanReceive(Mqtt.Broker.ClientInfo client, string topic) => true;
    }

    /// <summary>Runs the command against <paramref name="server"/> and accepts its MQTT 5 connection (CONNECT, CONNACK 0).</summary>
    private static async Task<(Task<CliRun> Run, FakeConnection Connection)> RunConnectedAsync(FakeServer server, string[] args)
    {
        Task<CliRun> run = RunAsync([.. args, "-p", $"{server.Port}"]);
        FakeConnection connection = await server.AcceptAsync();
        await connection.ExpectAsync(PacketType.Connect);
        await connection.SendAsync(w => new ConnAckPacket().Write(w, ProtocolVersion.V500));
        return (run, connection);
    }

    /// <summary>Runs the CLI in-process on its own thread, with <paramref name="stdin"/> as standard input.</summary>
    internal static Task<CliRun> RunAsync(string[] args, string? stdin = null, SharedWriter? error = null) => Task.Run(() =>
    {
        var output = new StringWriter();
        error ??= new SharedWriter();
        CliInput.Use(stdin is null ? TextReader.Null : new StringReader(stdin));
        int code = Program.Run(args, new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
        return new CliRun(code, output.ToString(), error.ToString());
    });
}

/// <summary>Stdout whose reader has gone: every write fails as write(2) does with EPIPE (.NET's HResult is the errno).</summary>
internal sealed class ClosedPipeWriter : TextWriter
{
    public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

    public override void Write(char value) => throw new IOException("Broken pipe", 32);
}

/// <summary>A writer the CLI writes to on one thread while the test reads it on another.</summary>
internal sealed class SharedWriter : TextWriter
{
    private readonly System.Text.StringBuilder _text = new();

    public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_text)
        {
            _text.Append(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_text)
        {
            _text.Append(value);
        }
    }

    public override string ToString()
    {
        lock (_text)
        {
            return _text.ToString();
        }
    }

    public async Task WaitForAsync(string text)
    {
        using var deadline = new CancellationTokenSource(TestClients.Patience);
        while (!ToString().Contains(text, StringComparison.Ordinal))
        {
            await Task.Delay(20, deadline.Token);
        }
    }
}

/// <summary>What one in-process run of the CLI produced.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

internal static class CliRunExtensions
{
    public static async Task ExpectSuccess(this Task<CliRun> run)
    {
        var result = await run.WaitAsync(TestClients.Patience);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Error}");
    }
}
