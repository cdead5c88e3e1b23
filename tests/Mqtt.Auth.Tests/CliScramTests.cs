using System.CommandLine;
using Mqtt.Broker;
using Mqtt.Cli;
using Mqtt.Cli.Commands;

namespace Mqtt.Auth.Tests;

/// <summary>`mqttcore register`, and `pub`/`sub` with `--auth scram-*` (the default with -u), run in-process through Program.Run.</summary>
public sealed class CliScramTests
{
    [Fact]
    public async Task Register_then_pub_and_sub_with_the_same_user_over_SCRAM()
    {
        await using TestBroker broker = await TestBroker.StartAsync(s => s.PlainPasswords = PlainPasswordPolicy.Never);
        string port = broker.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        (int registered, string registerOutput, string registerError) = await RunAsync("register", "-u", "frank", "-P", "pw-frank", "-p", port);
        Assert.True(registered == 0, registerError);
        Assert.Contains("frank", registerOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("pw-frank", await File.ReadAllTextAsync(broker.Security.Credentials.FilePath), StringComparison.Ordinal);

        // Default --auth with -u is scram-sha-256 (plain passwords are off on this broker, so only SCRAM can log in).
        (int published, _, string pubError) = await RunAsync("pub", "-u", "frank", "-P", "pw-frank", "-p", port, "-t", "frank/notes", "-m", "hello", "-r", "-q", "1");
        Assert.True(published == 0, pubError);
        (int received, string output, string subError) = await RunAsync("sub", "-u", "frank", "-P", "pw-frank", "-p", port, "--auth", "scram-sha-512",
            "-t", "frank/notes", "-C", "1", "--timeout", "20");
        Assert.True(received == 0, subError);
        Assert.Equal("hello", output.Trim());

        (int wrong, _, string wrongError) = await RunAsync("pub", "-u", "frank", "-P", "not-it", "-p", port, "-t", "frank/notes", "-m", "x");
        Assert.Equal(2, wrong);
        Assert.Equal("refused: 0x86 Bad User Name or Password", wrongError.Trim());
    }

    [Fact]
    public async Task Registering_a_taken_name_exits_2_and_registration_closed_exits_2_with_0x87()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await broker.AddUserAsync("alice", "pw-alice");
        string port = broker.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        byte[] before = await File.ReadAllBytesAsync(broker.Security.Credentials.FilePath);

        (int taken, _, string takenError) = await RunAsync("register", "-u", "alice", "-P", "other", "-p", port);

        Assert.Equal(2, taken);
        Assert.Equal("refused: 0x86 Bad User Name or Password", takenError.Trim());
        Assert.Equal(before, await File.ReadAllBytesAsync(broker.Security.Credentials.FilePath));
        Assert.Equal(1, (await RunAsync("register", "-u", "a/b", "-P", "x", "-p", port)).ExitCode);
        // Names only new users may not take: refused before connecting too (exit 1), not by the broker (exit 2).
        Assert.Equal(1, (await RunAsync("register", "-u", "%c", "-P", "x", "-p", port)).ExitCode);
        Assert.Equal(1, (await RunAsync("register", "-u", "al\u200bice", "-P", "x", "-p", port)).ExitCode);
        Assert.Equal(1, (await RunAsync("register", "-u", "bob", "-p", port)).ExitCode);

        await using TestBroker closed = await TestBroker.StartAsync(s => s.Registration = RegistrationPolicy.Closed);
        (int refused, _, string refusedError) = await RunAsync("register", "-u", "bob", "-P", "pw-bob", "-p",
            closed.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(2, refused);
        Assert.Equal("refused: 0x87 Not authorized", refusedError.Trim());
    }

    [Fact]
    public async Task A_broker_that_cannot_prove_itself_fails_the_command()
    {
        var tamper = new TamperSwitch { Enabled = true };
        await using TestBroker broker = await TestBroker.StartAsync(afterSecurity: o => TamperingAuthenticator.Wrap(o, "SCRAM-SHA-256", tamper));
        await broker.AddUserAsync("alice", "pw-alice");

        (int code, _, string error) = await RunAsync("pub", "-u", "alice", "-P", "pw-alice", "-p",
            broker.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", "alice/x", "-m", "x");

        Assert.Equal(ExitCodes.Unreachable, code);
        Assert.Contains("authentication failed", error, StringComparison.Ordinal);
    }

    private static Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) => Task.Run(() =>
    {
        var output = new StringWriter();
        var error = new StringWriter();
        CliInput.Use(TextReader.Null);
        int code = Program.Run(args, new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
        return (code, output.ToString(), error.ToString());
    }).WaitAsync(TimeSpan.FromSeconds(60));
}
