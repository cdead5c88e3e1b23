using System.Globalization;

namespace Mqtt.Interop.Tests.Cli;

/// <summary>`mqttcore sub` and `recv` run as child processes and stopped as a user or a supervisor stops them.</summary>
public sealed class SubCommandSignalTests
{
    /// <summary>As mosquitto_sub. Before the fix System.CommandLine ended it with 130 or 143 (and `-C` reported a timeout).</summary>
    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    [InlineData("INT", "-C", "5")]
    public async Task Sub_stopped_by_a_signal_exits_0(string signal, params string[] count)
    {
        await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartAsync("--listen", "127.0.0.1:0", "--allow-anonymous", "--data", "data");
        string port = broker.Port.ToString(CultureInfo.InvariantCulture);
        await using ChildProcess sub = ChildProcess.Start(MqttCoreBrokerProcess.DotNet, [MqttCoreBrokerProcess.MqttCoreDll, "sub", "-p", port, "-t", "signal/test", .. count]);
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "publisher");

        // Published until sub prints one: then it is subscribed and waiting for more.
        for (int attempt = 0; attempt < 100 && !sub.StandardOutput.Contains("ready", StringComparison.Ordinal); attempt++)
        {
            await publisher.PublishAsync("signal/test", "ready");
            await Task.Delay(100);
        }
        Assert.Contains("ready", sub.StandardOutput);

        await sub.SignalAsync(signal);

        Assert.Equal(0, await sub.WaitForExitAsync(Waits.Process));
        Assert.DoesNotContain("timeout", sub.StandardError);
    }

    /// <summary>
    /// A script's background job (`mqttcore sub ... &amp;` then `kill -INT $!`) starts with SIGINT ignored; mosquitto_sub
    /// installs its handler anyway and exits 0. Before the fix .NET kept SIGINT ignored and sub ran on.
    /// </summary>
    [Fact]
    public async Task Sub_started_with_SIGINT_ignored_still_exits_0_on_SIGINT()
    {
        await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartAsync("--listen", "127.0.0.1:0", "--allow-anonymous", "--data", "data");
        string port = broker.Port.ToString(CultureInfo.InvariantCulture);
        await using ChildProcess sub = ChildProcess.Start("bash", ["-c", "trap '' INT; exec \"$@\"", "bash",
            MqttCoreBrokerProcess.DotNet, MqttCoreBrokerProcess.MqttCoreDll, "sub", "-p", port, "-t", "signal/ignored", "--verbose"]);
        await Waits.UntilAsync(() => sub.StandardError.Contains("SUBACK", StringComparison.Ordinal), "sub's SUBACK");

        await sub.SignalAsync("INT");

        Assert.Equal(0, await sub.WaitForExitAsync(Waits.Process));
    }

    /// <summary>
    /// A signal ends `sub` with DISCONNECT, as mosquitto_sub ends, so the broker discards its Will (--will-topic); killed
    /// (no DISCONNECT) it is published, which shows the Will was there to discard.
    /// </summary>
    [Theory]
    [InlineData("INT", false)]
    [InlineData("TERM", false)]
    [InlineData("KILL", true)]
    public async Task Sub_stopped_by_a_signal_sends_DISCONNECT_so_the_broker_discards_its_Will(string signal, bool willPublished)
    {
        await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartAsync("--listen", "127.0.0.1:0", "--allow-anonymous", "--data", "data");
        string port = broker.Port.ToString(CultureInfo.InvariantCulture);
        await using MqttNetPeer watcher = await MqttNetPeer.ConnectAsync(broker.Port, "watcher");
        await watcher.SubscribeAsync("signal/will");
        await using ChildProcess sub = ChildProcess.Start(MqttCoreBrokerProcess.DotNet, [MqttCoreBrokerProcess.MqttCoreDll, "sub", "-p", port,
            "-t", "signal/test", "--will-topic", "signal/will", "--will-payload", "gone", "--verbose"]);
        await Waits.UntilAsync(() => sub.StandardError.Contains("SUBACK", StringComparison.Ordinal), "sub's SUBACK");

        await sub.SignalAsync(signal);

        int exitCode = await sub.WaitForExitAsync(Waits.Process);
        if (willPublished)
        {
            Assert.Equal("signal/will", (await watcher.NextAsync()).Topic);
        }
        else
        {
            Assert.Equal(0, exitCode);
            await Task.Delay(500); // time for a broker that did not get DISCONNECT to see the connection close and publish
            await watcher.ExpectNothingMoreAsync(watcher);
        }
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Recv_stopped_by_a_signal_exits_0(string signal)
    {
        await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartAsync("--listen", "127.0.0.1:0", "--allow-anonymous", "--data", "data");
        string keys = Path.Combine(broker.Folder, "keys");
        string port = broker.Port.ToString(CultureInfo.InvariantCulture);
        var (registered, _, error) = await MqttCoreBrokerProcess.RunAsync("register", "-p", port, "-u", "bob", "-P", "bob-password");
        Assert.True(registered == 0, error);
        await using ChildProcess recv = ChildProcess.Start(MqttCoreBrokerProcess.DotNet, [MqttCoreBrokerProcess.MqttCoreDll, "recv",
            "-p", port, "-u", "bob", "-P", "bob-password", "--from", "alice", "--keys", keys]);

        // The notice comes after the key agreement step; recv then listens for alice's messages.
        for (int attempt = 0; attempt < 200 && !recv.StandardError.Contains("notice: alice has not announced", StringComparison.Ordinal); attempt++)
        {
            await Task.Delay(100);
        }
        Assert.Contains("notice: alice has not announced", recv.StandardError);

        await recv.SignalAsync(signal);

        Assert.Equal(0, await recv.WaitForExitAsync(Waits.Process));
    }
}
