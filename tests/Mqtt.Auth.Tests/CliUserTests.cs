namespace Mqtt.Auth.Tests;

/// <summary>`mqttcore user ...` and the broker's security flags, with CLI.md's exit codes.</summary>
public sealed class CliUserTests
{
    [Fact]
    public async Task User_add_list_passwd_remove_follow_the_exit_codes()
    {
        string data = TestBroker.NewDataDirectory();
        try
        {
            Assert.Equal(0, (await Cli.RunAsync(null, "user", "add", "alice", "-P", "pw1", "--data", data)).ExitCode);
            Assert.Equal(0, (await Cli.RunAsync("pw2\n", "user", "add", "bob", "--password-stdin", "--data", data)).ExitCode);
            (int taken, _, string takenError) = await Cli.RunAsync(null, "user", "add", "alice", "-P", "x", "--data", data);
            Assert.Equal(2, taken);
            Assert.Contains("exists", takenError, StringComparison.Ordinal);
            Assert.Equal(1, (await Cli.RunAsync(null, "user", "add", "a/b", "-P", "x", "--data", data)).ExitCode);
            Assert.Equal(1, (await Cli.RunAsync("", "user", "add", "carol", "--data", data)).ExitCode);
            Assert.Equal(0, (await Cli.RunAsync(null, "user", "passwd", "alice", "-P", "pw3", "--data", data)).ExitCode);
            Assert.Equal(2, (await Cli.RunAsync(null, "user", "passwd", "nobody", "-P", "pw3", "--data", data)).ExitCode);
            Assert.Equal(2, (await Cli.RunAsync(null, "user", "remove", "nobody", "--data", data)).ExitCode);
            Assert.Equal(0, (await Cli.RunAsync(null, "user", "remove", "bob", "--data", data)).ExitCode);
            (int listed, string output, _) = await Cli.RunAsync(null, "user", "list", "--data", data);
            Assert.Equal(0, listed);
            Assert.Equal("alice\n", output);

            string file = await File.ReadAllTextAsync(Path.Combine(data, "credentials"));
            Assert.DoesNotContain("pw1", file, StringComparison.Ordinal);
            Assert.DoesNotContain("pw3", file, StringComparison.Ordinal);
            using var store = new Mqtt.Broker.CredentialStore(data, watch: false);
            Assert.True(store.TryGet("alice", out var alice));
            Assert.True(alice.Verifiers[0].VerifyPassword("pw3"));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>
    /// .NET turns bytes of the command line, the environment or stdin that are not UTF-8 into U+FFFD, so 'p\xff' and
    /// 'p\xfe' were one password and a name lost its bytes; an iteration count our own client refuses made a user who
    /// could never log in; -P with --password-stdin took -P silently. All are usage errors now (found by a CLI review).
    /// </summary>
    [Fact]
    public async Task User_add_refuses_text_that_is_not_UTF8_conflicting_passwords_and_counts_no_client_accepts()
    {
        string data = TestBroker.NewDataDirectory();
        try
        {
            (int code, _, string error) = await Cli.RunAsync(null, "user", "add", "bad\uFFFDname", "-P", "x", "--data", data);
            Assert.Equal(1, code);
            Assert.Contains("not valid UTF-8", error, StringComparison.Ordinal);
            (code, _, error) = await Cli.RunAsync(null, "user", "add", "alice", "-P", "p\uFFFD", "--data", data);
            Assert.Equal(1, code);
            Assert.Contains("not valid UTF-8", error, StringComparison.Ordinal);
            (code, _, error) = await Cli.RunAsync("p\uFFFD\n", "user", "add", "bob", "--password-stdin", "--data", data);
            Assert.Equal(1, code);
            Assert.Contains("not valid UTF-8", error, StringComparison.Ordinal);
            (code, _, error) = await Cli.RunAsync("pw\n", "user", "add", "carol", "-P", "x", "--password-stdin", "--data", data);
            Assert.Equal(1, code);
            Assert.Contains("not both", error, StringComparison.Ordinal);
            (code, _, error) = await Cli.RunAsync(null, "user", "add", "dave", "-P", "x", "--iterations", "1000001", "--data", data);
            Assert.Equal(1, code);
            Assert.Contains("--iterations must be 4096..1000000", error, StringComparison.Ordinal);
            Assert.Contains("Run 'mqttcore user add --help' for usage.", error, StringComparison.Ordinal);

            Assert.False(File.Exists(Path.Combine(data, "credentials")) && (await File.ReadAllTextAsync(Path.Combine(data, "credentials"))).Length > 0);
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    [Fact]
    public async Task User_list_warns_of_a_credential_file_line_it_ignores()
    {
        string data = TestBroker.NewDataDirectory();
        try
        {
            Assert.Equal(0, (await Cli.RunAsync(null, "user", "add", "alice", "-P", "pw", "--data", data)).ExitCode);
            await File.AppendAllTextAsync(Path.Combine(data, "credentials"), "garbage{\n");

            (int code, string output, string error) = await Cli.RunAsync(null, "user", "list", "--data", data);

            Assert.Equal(0, code);
            Assert.Equal("alice\n", output);
            Assert.Matches("credential file line [0-9]+ ignored", error);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task User_add_refuses_a_percent_in_a_new_name_and_passwd_still_serves_such_a_name_already_in_the_file()
    {
        string data = TestBroker.NewDataDirectory();
        try
        {
            (int code, _, string error) = await Cli.RunAsync(null, "user", "add", "%c", "-P", "x", "--data", data);
            Assert.Equal(1, code);
            Assert.Contains("invalid user name", error, StringComparison.Ordinal);
            using (var store = new Mqtt.Broker.CredentialStore(data, watch: false))
            {
                Assert.True(await store.TryAddAsync(Mqtt.Security.Credentials.UserCredentials.Derive("%c", "old")));
            }

            Assert.Equal(0, (await Cli.RunAsync(null, "user", "passwd", "%c", "-P", "new", "--data", data)).ExitCode);
            using var reloaded = new Mqtt.Broker.CredentialStore(data, watch: false);
            Assert.True(reloaded.TryGet("%c", out var user));
            Assert.True(user.Verifiers[0].VerifyPassword("new"));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>Before the fix a mistyped --data was created on the spot and listed as "no users"; a file gave "file already exists".</summary>
    [Theory]
    [InlineData("list")]
    [InlineData("remove", "alice")]
    [InlineData("passwd", "alice", "-P", "pw")]
    public async Task User_commands_other_than_add_need_an_existing_data_folder(params string[] command)
    {
        string missing = Path.Combine(Path.GetTempPath(), "mqttcore-no-such-data-" + Guid.NewGuid().ToString("N"));
        string file = Path.GetTempFileName();
        try
        {
            (int code, string output, string error) = await Cli.RunAsync(null, ["user", .. command, "--data", missing]);
            Assert.Equal(1, code);
            Assert.Equal("", output);
            Assert.Contains($"no data folder {missing}", error, StringComparison.Ordinal);
            Assert.False(Directory.Exists(missing));

            (code, _, error) = await Cli.RunAsync(null, ["user", .. command, "--data", file]);
            Assert.Equal(1, code);
            Assert.Contains("is a file", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task User_commands_and_the_broker_refuse_a_credential_file_that_is_not_UTF8_with_exit_code_1_and_a_clear_message()
    {
        string data = TestBroker.NewDataDirectory();
        try
        {
            Assert.Equal(0, (await Cli.RunAsync(null, "user", "add", "alice", "-P", "pw1", "--data", data)).ExitCode);
            string path = Path.Combine(data, "credentials");
            await File.AppendAllBytesAsync(path, [0xFF, (byte)'\n']);
            byte[] damaged = await File.ReadAllBytesAsync(path);
            string[][] commands =
            [
                ["user", "list", "--data", data],
                ["user", "add", "bob", "-P", "pw2", "--data", data],
                ["user", "remove", "alice", "--data", data],
                ["user", "passwd", "alice", "-P", "pw3", "--data", data],
                ["broker", "--listen", "127.0.0.1:0", "--data", data],
            ];
            foreach (string[] command in commands)
            {
                (int code, string output, string error) = await Cli.RunAsync(null, command);
                Assert.True(code == 1, $"{string.Join(' ', command)}: exit {code}, {error}");
                Assert.Contains("not UTF-8", error, StringComparison.Ordinal);
                Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
                Assert.Empty(output);
            }
            Assert.Equal(damaged, await File.ReadAllBytesAsync(path));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task The_broker_refuses_a_malformed_ACL_file_with_exit_code_1()
    {
        string data = TestBroker.NewDataDirectory();
        string acl = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(acl, "topic read a/#/b\n");
            (int code, _, string error) = await Cli.RunAsync(null, "broker", "--listen", "127.0.0.1:0", "--data", data, "--acl", acl);
            Assert.Equal(1, code);
            Assert.Contains("ACL line 1", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(acl);
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }
}
