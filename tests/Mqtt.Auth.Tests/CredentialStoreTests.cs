using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Mqtt.Broker;
using Mqtt.Codec;
using Mqtt.Security.Credentials;
using Mqtt.Security.Scram;

namespace Mqtt.Auth.Tests;

/// <summary>The credential file: format, sharing between processes, and crash safety.</summary>
public sealed partial class CredentialStoreTests
{
    [Theory]
    [InlineData("alice")]
    [InlineData("a:b%c")]
    [InlineData("émile 名前")]
    public void A_line_round_trips_and_holds_no_password(string name)
    {
        UserCredentials user = UserCredentials.Derive(name, "hunter2");
        string line = user.FormatLine();

        Assert.True(UserCredentials.TryParseLine(line, out UserCredentials? parsed, out string? problem), problem);
        Assert.Equal(name, parsed.Name);
        Assert.Equal(user.Verifiers.Select(v => v.Format()), parsed.Verifiers.Select(v => v.Format()));
        Assert.DoesNotContain("hunter2", line, StringComparison.Ordinal);
        Assert.True(parsed.GetVerifier(ScramMechanism.Sha512)!.VerifyPassword("hunter2"));
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("alice:SCRAM-SHA-256$4096:abc")]
    [InlineData("$x:SCRAM-SHA-256$4096:AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("a%2Fb:SCRAM-SHA-256$4096:AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void Malformed_lines_are_refused(string line) => Assert.False(UserCredentials.TryParseLine(line, out _, out _));

    [Fact]
    public async Task Files_and_folder_are_private_and_a_second_store_sees_changes()
    {
        using var folder = new TempDataFolder();
        string data = folder.Path;
        using var broker = new CredentialStore(data);
        using var admin = new CredentialStore(data, watch: false);
        Assert.True(await admin.TryAddAsync(UserCredentials.Derive("alice", "pw")));
        Assert.False(await broker.TryAddAsync(UserCredentials.Derive("alice", "other")));
        Assert.True(broker.TryGet("alice", out _));
        byte[] secret = ServerSecret.LoadOrCreate(data);
        Assert.Equal(secret, ServerSecret.LoadOrCreate(data));

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(admin.FilePath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, ServerSecret.FileName)));
        }
    }

    /// <summary>
    /// A data folder made by hand or restored from a backup may be open to other users: opening it makes the folder, the
    /// credential file and the decoy secret the owner's alone (a local user could otherwise read the verifiers, which
    /// allow offline guessing, and the secret, which tells unknown names from known ones). Found by review.
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_data_folder_open_to_others_is_made_private_on_open()
    {
        using var folder = new TempDataFolder();
        string data = folder.Path;
        using (var first = new CredentialStore(data, watch: false))
        {
            Assert.True(await first.TryAddAsync(UserCredentials.Derive("alice", "pw")));
        }
        ServerSecret.LoadOrCreate(data);
        const UnixFileMode Shared = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        File.SetUnixFileMode(data, Shared | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(Path.Combine(data, CredentialStore.FileName), Shared);
        File.SetUnixFileMode(Path.Combine(data, ServerSecret.FileName), Shared);

        using var store = new CredentialStore(data, watch: false);
        ServerSecret.LoadOrCreate(data);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.FilePath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, ServerSecret.FileName)));
        Assert.True(store.TryGet("alice", out _));
    }

    /// <summary>
    /// A new name differing from a user's only in case or fullwidth forms is taken: it would show as that user in a
    /// peer's pins and listings (registered by another, it would receive their mailbox's look-alike). Found by review.
    /// </summary>
    [Theory]
    [InlineData("Alice")]
    [InlineData("ALICE")]
    [InlineData("\uFF41lice")]
    public async Task A_name_differing_from_a_user_only_in_case_or_width_is_taken(string lookAlike)
    {
        using var folder = new TempDataFolder();
        using var store = new CredentialStore(folder.Path, watch: false);
        Assert.True(await store.TryAddAsync(UserCredentials.Derive("alice", "pw")));
        byte[] before = File.ReadAllBytes(store.FilePath);

        Assert.False(await store.TryAddAsync(UserCredentials.Derive(lookAlike, "pw")));

        Assert.Equal(before, File.ReadAllBytes(store.FilePath));
        // A store that loads the file afresh knows the folded names too.
        using var fresh = new CredentialStore(folder.Path, watch: false);
        Assert.False(await fresh.TryAddAsync(UserCredentials.Derive(lookAlike, "pw")));
        Assert.True(await fresh.TryAddAsync(UserCredentials.Derive("alicia", "pw")));
    }

    [Fact]
    public async Task Comments_and_unparseable_lines_survive_a_rewrite()
    {
        using var folder = new TempDataFolder();
        string data = folder.Path;
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, CredentialStore.FileName), "# admins: see wiki\nbroken line\n");
        using var store = new CredentialStore(data, watch: false);
        Assert.True(await store.TryAddAsync(UserCredentials.Derive("bob", "pw")));
        string[] lines = await File.ReadAllLinesAsync(store.FilePath);
        Assert.Equal(["# admins: see wiki", "broken line"], lines[..2]);
        Assert.StartsWith("bob:", lines[2], StringComparison.Ordinal);
    }

    /// <summary>
    /// A new user is appended, not written into a new file: a handle opened on the file before the add reads the
    /// new line. (A rewrite renames a new file into place, so the old handle would still read the old content, and
    /// every registration would cost as much as rewriting every user: 5,000 took six minutes that way.)
    /// </summary>
    [Fact]
    public async Task An_added_user_is_appended_to_the_file_that_is_already_there()
    {
        using var folder = new TempDataFolder();
        string data = folder.Path;
        using var store = new CredentialStore(data, watch: false);
        Assert.True(await store.TryAddAsync(UserCredentials.Derive("alice", "pw")));
        byte[] before = await File.ReadAllBytesAsync(store.FilePath);
        using var earlier = new FileStream(store.FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);

        Assert.True(await store.TryAddAsync(UserCredentials.Derive("bob", "pw")));

        using var reader = new StreamReader(earlier);
        string text = await reader.ReadToEndAsync();
        Assert.Equal(before, (await File.ReadAllBytesAsync(store.FilePath))[..before.Length]);
        Assert.Contains("\nbob:", text, StringComparison.Ordinal);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
    }

    /// <summary>A crash can cut the last line short: the cut line is ignored, and the next user goes on a line of its own.</summary>
    [Fact]
    public async Task A_cut_last_line_is_ignored_and_the_next_user_starts_a_new_line()
    {
        using var folder = new TempDataFolder();
        string data = folder.Path;
        Directory.CreateDirectory(data);
        string alice = UserCredentials.Derive("alice", "pw").FormatLine();
        string cut = UserCredentials.Derive("carol", "pw").FormatLine()[..30];
        await File.WriteAllTextAsync(Path.Combine(data, CredentialStore.FileName), alice + "\n" + cut);
        using var store = new CredentialStore(data, watch: false);
        Assert.False(store.TryGet("carol", out _));

        Assert.True(await store.TryAddAsync(UserCredentials.Derive("dave", "pw")));

        string[] lines = await File.ReadAllLinesAsync(store.FilePath);
        Assert.Equal([alice, cut], lines[..2]);
        Assert.StartsWith("dave:", lines[2], StringComparison.Ordinal);
        using var reloaded = new CredentialStore(data, watch: false);
        Assert.Equal(["alice", "dave"], reloaded.List().Select(u => u.Name));
    }

    /// <summary>Two stores on one folder (the broker and `mqttcore user add`) adding in turn: each sees the other's users first.</summary>
    [Fact]
    public async Task Stores_adding_in_turn_see_each_other_and_never_add_a_name_twice()
    {
        using var folder = new TempDataFolder();
        string data = folder.Path;
        using var first = new CredentialStore(data, watch: false);
        using var second = new CredentialStore(data, watch: false);
        ScramVerifier[] verifiers = [ScramVerifier.Derive(ScramMechanism.Sha256, "pw")];
        for (int i = 0; i < 20; i++)
        {
            CredentialStore adder = i % 2 == 0 ? first : second;
            CredentialStore other = i % 2 == 0 ? second : first;
            Assert.True(await adder.TryAddAsync(new UserCredentials("user" + i, verifiers)));
            Assert.False(await other.TryAddAsync(new UserCredentials("user" + i, verifiers)));
        }

        string[] expected = [.. Enumerable.Range(0, 20).Select(i => "user" + i)];
        Assert.Equal(expected, first.List().Select(u => u.Name));
        Assert.Equal(expected, second.List().Select(u => u.Name));
        Assert.Equal(21, (await File.ReadAllLinesAsync(first.FilePath)).Length);
    }

    [Fact]
    public async Task A_file_that_is_not_UTF8_refuses_new_users_and_stays_as_it_was()
    {
        using var folder = new TempDataFolder();
        string data = folder.Path;
        Directory.CreateDirectory(data);
        string path = Path.Combine(data, CredentialStore.FileName);
        byte[] bytes = [.. "# users\n"u8, 0xFF, 0xFE, (byte)'\n'];
        await File.WriteAllBytesAsync(path, bytes);
        using var store = new CredentialStore(data, watch: false);

        await Assert.ThrowsAsync<InvalidDataException>(() => store.TryAddAsync(UserCredentials.Derive("bob", "pw")));

        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task A_file_damaged_while_in_use_refuses_logins_but_removes_nobody_and_the_fixed_file_reports_what_was_removed_meanwhile()
    {
        using var folder = new TempDataFolder();
        using var store = new CredentialStore(folder.Path, watch: false);
        Assert.True(await store.TryAddAsync(UserCredentials.Derive("alice", "pw")));
        Assert.True(await store.TryAddAsync(UserCredentials.Derive("bob", "pw")));
        var removals = new List<string>();
        store.UsersRemoved += removals.AddRange;
        string[] good = await File.ReadAllLinesAsync(store.FilePath);

        await File.AppendAllBytesAsync(store.FilePath, [0xFF, (byte)'\n']);
        store.Refresh();
        Assert.Contains("not UTF-8", store.Problem, StringComparison.Ordinal);
        Assert.Empty(removals);
        Assert.False(store.TryGet("alice", out _));
        Assert.True(store.TryGetLastReadable("alice", out _));

        // Fixed without bob: his removal is reported now, against the users last read.
        await File.WriteAllLinesAsync(store.FilePath, good.Where(line => !line.StartsWith("bob:", StringComparison.Ordinal)));
        store.Refresh();
        Assert.Null(store.Problem);
        Assert.Equal(["bob"], removals);
        Assert.True(store.TryGet("alice", out _));
    }

    [Fact]
    public async Task A_file_over_the_size_bound_is_not_read()
    {
        using var folder = new TempDataFolder();
        using (var store = new CredentialStore(folder.Path, watch: false))
        {
            Assert.True(await store.TryAddAsync(UserCredentials.Derive("alice", "pw")));
        }
        string path = Path.Combine(folder.Path, CredentialStore.FileName);
        using (var file = new FileStream(path, FileMode.Open))
        {
            file.SetLength(CredentialStore.MaximumFileSize + 1); // sparse: nothing is written
        }
        using var reopened = new CredentialStore(folder.Path, watch: false);
        Assert.Contains("more than", reopened.Problem, StringComparison.Ordinal);
        Assert.Equal(0, reopened.Count);
    }

    /// <summary>
    /// A child `mqttcore broker` takes a burst of registrations through MQTTCORE-REGISTER from this test and is
    /// SIGKILLed once 40 were acknowledged, with more in flight. The file left behind must load cleanly and
    /// hold every registration the broker acknowledged.
    /// </summary>
    [Fact]
    public async Task A_broker_killed_during_a_burst_of_registrations_leaves_a_file_with_every_acknowledged_one()
    {
        string data = TestBroker.NewDataDirectory();
        using Process broker = Process.Start(Cli.StartInfo("broker", "--listen", "127.0.0.1:0", "--data", data, "--registration", "open", "--log-level", "warning"))!;
        try
        {
            IPEndPoint endPoint = await ReadListeningAsync(broker);
            var acknowledged = new ConcurrentBag<string>();
            var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            ScramVerifier[] verifiers = [ScramVerifier.Derive(ScramMechanism.Sha256, "pw")];
            int next = 0;
            async Task Registrar()
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) <= 400)
                {
                    string name = "user" + i;
                    try
                    {
                        // From many loopback addresses: one address may register only a few users in a row.
                        await using RawMqttClient client = await RawMqttClient.OpenAsync(endPoint, IPAddress.Parse($"127.0.1.{i % 200 + 1}"));
                        await client.SendConnectAsync(name, method: ScramRegistration.Method, data: ScramRegistration.Encode(new UserCredentials(name, verifiers)));
                        Received answer = await client.ReceiveAsync();
                        if (answer.Type == PacketType.ConnAck && answer.ReasonCode == ReasonCode.Success)
                        {
                            acknowledged.Add(name);
                            if (acknowledged.Count >= 40)
                            {
                                enough.TrySetResult();
                            }
                        }
                    }
                    catch (System.Net.Sockets.SocketException)
                    {
                        // The broker is gone.
                    }
                }
            }

            Task burst = Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(Registrar)));
            await enough.Task.WaitAsync(TimeSpan.FromSeconds(90));
            broker.Kill();
            await broker.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await burst.WaitAsync(TimeSpan.FromSeconds(90));

            string[] lines = await File.ReadAllLinesAsync(Path.Combine(data, CredentialStore.FileName));
            foreach (string line in lines.Where(l => l.Length > 0 && l[0] != '#'))
            {
                Assert.True(UserCredentials.TryParseLine(line, out _, out string? problem), problem);
            }

            using var store = new CredentialStore(data, watch: false);
            HashSet<string> names = [.. store.List().Select(u => u.Name)];
            Assert.True(acknowledged.Count >= 40);
            Assert.All(acknowledged, name => Assert.Contains(name, names));
        }
        finally
        {
            if (!broker.HasExited)
            {
                broker.Kill();
            }

            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<IPEndPoint> ReadListeningAsync(Process broker)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await broker.StandardOutput.ReadLineAsync(timeout.Token) is string line)
        {
            Match match = Listening().Match(line);
            if (match.Success)
            {
                _ = broker.StandardOutput.ReadToEndAsync();
                _ = broker.StandardError.ReadToEndAsync();
                return IPEndPoint.Parse(match.Groups[1].Value);
            }
        }

        throw new InvalidOperationException("the broker exited before listening: " + await broker.StandardError.ReadToEndAsync());
    }

    [GeneratedRegex(@"^listening on (\S+) \(mqtt\)")]
    private static partial Regex Listening();
}
