using System.Globalization;

namespace Mqtt.Interop.Tests.Cli;

/// <summary>`mqttcore sub` as a child process whose stdout is a pipe that a shell pipeline closes or stops reading.</summary>
public sealed class SubCommandPipeTests
{
    /// <summary>As mosquitto_sub (its pipeline status is 0 too). Before the fix, writes to the closed pipe were ignored and sub ran for ever.</summary>
    [Fact]
    public async Task Sub_piped_into_head_ends_with_exit_0_once_head_exits()
    {
        await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartAsync("--listen", "127.0.0.1:0", "--allow-anonymous", "--data", "data");
        await using ChildProcess pipeline = ChildProcess.Start("bash", ["-c", "\"$@\" | head -n 1; echo \"sub exited ${PIPESTATUS[0]}\" >&2", "bash",
            MqttCoreBrokerProcess.DotNet, MqttCoreBrokerProcess.MqttCoreDll, "sub", "-p", Port(broker), "-t", "pipe/test"]);
        await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "publisher");

        // Published until the pipeline ends: head takes the first message that arrives, sub must notice on a later one.
        for (int attempt = 0; attempt < 200 && !pipeline.HasExited; attempt++)
        {
            await publisher.PublishAsync("pipe/test", "message");
            await Task.Delay(100);
        }

        Assert.Equal(0, await pipeline.WaitForExitAsync(Waits.Process));
        Assert.Equal("message\n", pipeline.StandardOutput);
        Assert.Contains("sub exited 0", pipeline.StandardError);
    }

    /// <summary>
    /// `sub | sleep 60` with more than a pipe's worth of messages: sub is stuck writing to stdout. It still ends on
    /// SIGINT or SIGTERM (exit 0, as it would otherwise), as mosquitto_sub does. Before the fix it ran on.
    /// </summary>
    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Sub_blocked_on_a_full_stdout_pipe_still_ends_on_a_signal(string signal)
    {
        await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartAsync("--listen", "127.0.0.1:0", "--allow-anonymous", "--data", "data");
        // sub's stdout is a pipe to a sleep that never reads it; its pid is printed so the test can end it.
        await using ChildProcess sub = ChildProcess.Start("bash", ["-c", "exec 3> >(exec sleep 60 >/dev/null 2>&1); echo \"reader $!\" >&2; exec \"$@\" >&3 3>&-", "bash",
            MqttCoreBrokerProcess.DotNet, MqttCoreBrokerProcess.MqttCoreDll, "sub", "-p", Port(broker), "-t", "pipe/full", "--verbose"]);
        try
        {
            await Waits.UntilAsync(() => sub.StandardError.Contains("SUBACK", StringComparison.Ordinal), "sub's SUBACK");
            await using MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "publisher");
            string payload = new('x', 1000);
            for (int i = 0; i < 200; i++)
            {
                await publisher.PublishAsync("pipe/full", payload);
            }
            await Waits.UntilAsync(() => IsWritingToAPipe(sub.Id), "sub blocked writing to its stdout pipe");

            await sub.SignalAsync(signal);

            Assert.Equal(0, await sub.WaitForExitAsync(Waits.Process));
        }
        finally
        {
            await EndReaderAsync(sub.StandardError);
        }
    }

    /// <summary>
    /// Redirected to a file, sub writes where the shell's commands before it left off, and those after it write after
    /// its lines. Before the fix it wrote at an offset of its own, from 0: over what came before, and under what came after.
    /// </summary>
    [Fact]
    public async Task Sub_redirected_to_a_file_writes_between_the_commands_around_it()
    {
        await using MqttCoreBrokerProcess broker = await MqttCoreBrokerProcess.StartAsync("--listen", "127.0.0.1:0", "--allow-anonymous", "--data", "data");
        await using (MqttNetPeer publisher = await MqttNetPeer.ConnectAsync(broker.Port, "publisher"))
        {
            await publisher.PublishAsync("file/test", "message", retain: true);
        }
        string file = Path.Combine(Path.GetTempPath(), $"mqttcore-sub-{Guid.NewGuid():N}.txt");
        try
        {
            await using ChildProcess shell = ChildProcess.Start("bash", ["-c", "out=$1; shift; { echo before; \"$@\"; echo after; } > \"$out\"", "bash", file,
                MqttCoreBrokerProcess.DotNet, MqttCoreBrokerProcess.MqttCoreDll, "sub", "-p", Port(broker), "-t", "file/test", "-C", "1"]);

            Assert.Equal(0, await shell.WaitForExitAsync(Waits.Process));
            Assert.Equal("before\nmessage\nafter\n", await File.ReadAllTextAsync(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string Port(MqttCoreBrokerProcess broker) => broker.Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether a thread of the process waits in the kernel's pipe write (`pipe_write`, `anon_pipe_write`).</summary>
    private static bool IsWritingToAPipe(int pid)
    {
        try
        {
            foreach (string task in Directory.GetDirectories($"/proc/{pid}/task"))
            {
                if (File.ReadAllText(Path.Combine(task, "wchan")).Contains("pipe_write", StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }
        catch (IOException)
        {
            // A thread ended while we looked.
        }
        return false;
    }

    private static async Task EndReaderAsync(string stderr)
    {
        foreach (string line in stderr.Split('\n'))
        {
            if (line.StartsWith("reader ", StringComparison.Ordinal))
            {
                await ChildProcess.RunAsync("kill", [line["reader ".Length..].Trim()]);
            }
        }
    }
}
