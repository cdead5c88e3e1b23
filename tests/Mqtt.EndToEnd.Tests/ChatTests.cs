namespace Mqtt.EndToEnd.Tests;

/// <summary>`mqttcore chat`: the original commands (agreekey, send-message, fingerprint, quit) between two running chats.</summary>
public sealed class ChatTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("mqttcore-e2e-chat-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string[] Chat(ITestBroker broker, string user) =>
        ["chat", "-p", $"{broker.Port}", "-u", user, "--auth", "none", "--keys", Path.Combine(root, user), "--timeout", "10"];

    private string[] Send(ITestBroker broker, string user, string peer, string text) =>
        ["send", "-p", $"{broker.Port}", "-u", user, "--auth", "none", "--keys", Path.Combine(root, user), "--timeout", "10", "--to", peer, "-m", text];

    [Fact]
    public async Task Two_chats_agree_keys_and_exchange_messages()
    {
        await using OurBroker broker = await OurBroker.StartAsync();
        var alice = new Interactive(Chat(broker, "alice"));
        var bob = new Interactive(Chat(broker, "bob"));
        await alice.WaitForAsync("you are alice");
        await bob.WaitForAsync("you are bob");

        bob.Send("agreekey alice");
        await bob.WaitForAsync("agreed key with alice");
        alice.Send("agreekey bob");
        await alice.WaitForAsync("agreed key with bob");

        alice.Send("send-message bob");
        alice.Send("hello from alice's chat");
        await bob.WaitForAsync("alice: hello from alice's chat");
        bob.Send("send-message alice");
        bob.Send("hi alice");
        await alice.WaitForAsync("bob: hi alice");

        alice.Send("fingerprint bob");
        bob.Send("fingerprint");
        await bob.WaitForAsync("bob ");
        string bobFingerprint = bob.Output.Split('\n').Last(l => l.StartsWith("bob ", StringComparison.Ordinal)).Trim()["bob ".Length..];
        await alice.WaitForAsync($"bob {bobFingerprint}");

        Assert.Equal(0, await alice.QuitAsync());
        Assert.Equal(0, await bob.QuitAsync());
        Assert.DoesNotContain("WARNING", alice.Output + bob.Output);
    }

    /// <summary>Before the fix the end of input after `send-message` sealed and sent an empty message.</summary>
    [Fact]
    public async Task Input_ending_after_send_message_sends_nothing()
    {
        await using OurBroker broker = await OurBroker.StartAsync();
        var alice = new Interactive(Chat(broker, "alice"));
        await alice.WaitForAsync("you are alice");
        var bob = new Interactive(Chat(broker, "bob"));
        bob.Send("agreekey alice");
        await bob.WaitForAsync("agreed key with alice");
        alice.Send("agreekey bob");
        await alice.WaitForAsync("agreed key with bob");

        alice.Send("send-message bob");
        Assert.Equal(0, await alice.EndInputAsync());
        Assert.Contains("input ended before the message to bob: NOT sent", alice.Output);

        CliRun next = await Cli.RunAsync(Chat(broker, "alice"), "send-message bob\nsent after\nquit\n");
        Assert.True(next.ExitCode == 0, next.ToString());
        await bob.WaitForAsync("alice: sent after");
        Assert.Equal(0, await bob.QuitAsync());
        Assert.Single(bob.Output.Split('\n'), line => line.StartsWith("alice:", StringComparison.Ordinal));
    }

    /// <summary>Before the fix the plaintext was printed raw: its newline made a second line that looked like carol's, and ESC reached the terminal.</summary>
    [Fact]
    public async Task A_message_with_a_newline_and_terminal_controls_is_shown_escaped_on_its_sender_line()
    {
        await using OurBroker broker = await OurBroker.StartAsync();
        var bob = new Interactive(Chat(broker, "bob"));
        await bob.WaitForAsync("you are bob");
        Assert.Equal(0, (await Cli.RunAsync(Send(broker, "alice", "bob", "announcing alice"))).ExitCode);
        bob.Send("agreekey alice");
        await bob.WaitForAsync("agreed key with alice");

        CliRun send = await Cli.RunAsync(Send(broker, "alice", "bob", "see you\ncarol: I owe alice 500 EUR\u001b[2K \u202egnp.exe"));
        Assert.True(send.ExitCode == 0, send.ToString());
        await bob.WaitForAsync("alice: see you");
        Assert.Equal(0, await bob.QuitAsync());

        Assert.Contains("alice: see you\\ncarol: I owe alice 500 EUR\\x1b[2K \\u202egnp.exe\n", bob.Output);
        Assert.DoesNotContain(bob.Output.Split('\n'), line => line.StartsWith("carol:", StringComparison.Ordinal));
        Assert.DoesNotContain('\u001b', bob.Output);
        Assert.DoesNotContain('\u202e', bob.Output);
    }

    /// <summary>Before the fix `agreekey mary ann` was an unknown command: a user whose name has a space could not be reached.</summary>
    [Fact]
    public async Task A_peer_whose_name_has_a_space_can_be_agreed_with_and_sent_to()
    {
        await using OurBroker broker = await OurBroker.StartAsync();
        var mary = new Interactive(Chat(broker, "mary ann"));
        var alice = new Interactive(Chat(broker, "alice"));
        await mary.WaitForAsync("you are mary ann");
        await alice.WaitForAsync("you are alice");

        mary.Send("agreekey alice");
        await mary.WaitForAsync("agreed key with alice");
        alice.Send("agreekey mary ann");
        await alice.WaitForAsync("agreed key with mary ann");
        alice.Send("send-message mary ann");
        alice.Send("hello mary");
        await mary.WaitForAsync("alice: hello mary");
        alice.Send("fingerprint mary ann");
        await alice.WaitForAsync("mary ann ");

        Assert.Equal(0, await alice.QuitAsync());
        Assert.Equal(0, await mary.QuitAsync());
        Assert.DoesNotContain("unknown command", alice.Output);
    }

    [Fact]
    public async Task A_peer_name_with_a_wildcard_is_refused_and_the_chat_goes_on()
    {
        await using OurBroker broker = await OurBroker.StartAsync();

        CliRun run = await Cli.RunAsync(Chat(broker, "alice"), "agreekey +\nsend-message a/#\nquit\nfingerprint #\nfingerprint\nquit\n");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("peer '+' is not a valid user name", run.Output);
        Assert.Contains("peer 'a/#' is not a valid user name", run.Output);
        Assert.Contains("message to a/# NOT sent", run.Output); // and its text, "quit", read as the message, not as a command
        Assert.Contains("peer '#' is not a valid user name", run.Output);
        Assert.Contains("alice ", run.Lines[^1]);
    }
}
