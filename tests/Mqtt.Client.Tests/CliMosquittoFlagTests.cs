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

    [Theory]
    [InlineData("give exactly one of", "pub", "-t", "t", "-n", "-m", "x")]
    [InlineData("give exactly one of", "pub", "-t", "t", "-l", "-f", "/etc/hostname")]
    [InlineData("both read stdin", "pub", "-t", "t", "-l", "--password-stdin")]
    public async Task Mosquitto_flags_used_wrongly_exit_1_before_connecting(string expected, params string[] args)
    {
        CliRun result = await RunAsync([.. args, "-p", "1"]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(expected, result.Error);
        Assert.Equal("", result.Output);
    }
}
