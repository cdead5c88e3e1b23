using CsCheck;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Security.Tests.EndToEnd;

/// <summary>A receiver restarted with its saved replay state still accepts each message only once.</summary>
public sealed class ReplayStateTests : IDisposable
{
    private const string CarolToBob = "carol/bob/messages";
    private readonly Parties parties = new();

    public void Dispose() => parties.Dispose();

    [Fact]
    public void A_restarted_receiver_refuses_what_its_predecessor_accepted_and_opens_the_rest()
    {
        var receiverOptions = new E2eReceiverOptions { MaxSessionsPerSender = 2 };
        using E2eSender sender = parties.AliceToBobSender(new E2eSenderOptions { MaxMessagesPerSession = 10 });
        byte[][] envelopes = new byte[35][];
        for (int i = 0; i < envelopes.Length; i++)
        {
            parties.Clock.Advance(TimeSpan.FromMilliseconds(1));
            envelopes[i] = sender.Seal([(byte)i]);
        }

        byte[] state;
        using (E2eReceiver before = parties.BobReceiver(receiverOptions))
        {
            for (int i = 0; i < 33; i += i == 20 ? 2 : 1) // skips 21; sessions 0 and 1 get closed
            {
                Assert.Equal(E2eError.None, TryOpen(before, envelopes[i]));
            }

            state = before.ExportReplayState();
        }

        using E2eReceiver after = parties.BobReceiver(receiverOptions);
        after.ImportReplayState(state);

        Assert.Equal(E2eError.ReorderedBeyondWindow, TryOpen(after, envelopes[3])); // a closed session
        Assert.Equal(E2eError.Duplicate, TryOpen(after, envelopes[20])); // an open session, reopened from its start
        Assert.Equal(E2eError.Duplicate, TryOpen(after, envelopes[32]));
        Assert.Equal(E2eError.None, TryOpen(after, envelopes[21])); // never accepted: opens
        Assert.Equal(E2eError.None, TryOpen(after, envelopes[33]));
        Assert.Equal(E2eError.Duplicate, TryOpen(after, envelopes[22]));
        Assert.Equal(E2eError.None, TryOpen(after, envelopes[34]));
    }

    [Fact]
    public void Sessions_carried_over_from_run_to_run_stay_bounded_per_sender()
    {
        var options = new E2eReceiverOptions { MaxSessionsPerSender = 2 };
        byte[]? state = null;
        for (int run = 0; run < 20; run++)
        {
            // A `send` run and a `recv -C 1` run each time: a new session, and a receiver restarted from the saved state.
            parties.Clock.Advance(TimeSpan.FromMilliseconds(1));
            using E2eSender sender = parties.AliceToBobSender();
            byte[] envelope = sender.Seal([(byte)run]);
            using E2eReceiver receiver = parties.BobReceiver(options);
            if (state is not null)
            {
                receiver.ImportReplayState(state);
            }
            Assert.Equal(E2eError.None, TryOpen(receiver, envelope));
            state = receiver.ExportReplayState();
        }

        // Header, alice's entry, and at most twice MaxSessionsPerSender sessions (open ones and carried-over ones).
        Assert.InRange(state!.Length, 1, 7 + 2 + "alice".Length + 8 + 2 + (2 * 2 * 41));
    }

    [Fact]
    public void The_state_round_trips_through_the_key_store_with_mode_0600()
    {
        using var folder = new TemporaryFolder();
        KeyStore store = KeyStore.Open(folder.Path, "bob", parties.Clock);
        using E2eSender sender = parties.AliceToBobSender();
        byte[] envelope = sender.Seal("once"u8);

        using (E2eReceiver before = parties.BobReceiver())
        {
            Assert.False(store.LoadReplayState(before));
            Assert.Equal(E2eError.None, TryOpen(before, envelope));
            store.SaveReplayState(before);
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(store.Directory, "replay.bin")));
        }

        using E2eReceiver after = parties.BobReceiver();
        Assert.True(store.LoadReplayState(after));
        Assert.Equal(E2eError.Duplicate, TryOpen(after, envelope));
    }

    /// <summary>
    /// Before the fix the last receiver to save overwrote replay.bin with its own view: bob's `recv --from carol`, started
    /// before his `recv --from alice` accepted and saved, erased alice's session when it exited, and a replay of alice's
    /// envelope was accepted again.
    /// </summary>
    [Fact]
    public void Two_receivers_of_one_user_saving_in_either_order_keep_what_each_accepted()
    {
        using var folder = new TemporaryFolder();
        KeyStore store = KeyStore.Open(folder.Path, "bob", parties.Clock);
        using E2eSender alice = parties.AliceToBobSender();
        using var carol = new E2eSender(parties.Carol, Parties.PeerIn(parties.CarolTrust, "bob"), CarolToBob, null, parties.Clock);
        byte[] fromAlice = alice.Seal("transfer 100 EUR to carol"u8);
        byte[] fromCarol = carol.Seal("hi bob"u8);

        using E2eReceiver readingCarol = parties.BobReceiver();
        store.LoadReplayState(readingCarol);
        using (E2eReceiver readingAlice = parties.BobReceiver())
        {
            store.LoadReplayState(readingAlice);
            Assert.Equal(E2eError.None, TryOpen(readingAlice, fromAlice));
            store.SaveReplayState(readingAlice);
        }

        Assert.Equal(E2eError.None, readingCarol.TryOpen("carol", CarolToBob, fromCarol, new byte[fromCarol.Length], out _));
        store.SaveReplayState(readingCarol); // last, from a view that never saw alice's message

        using E2eReceiver restarted = parties.BobReceiver();
        Assert.True(store.LoadReplayState(restarted));
        Assert.Equal(E2eError.Duplicate, TryOpen(restarted, fromAlice));
        Assert.Equal(E2eError.Duplicate, restarted.TryOpen("carol", CarolToBob, fromCarol, new byte[fromCarol.Length], out _));
    }

    /// <summary>
    /// A probe: bob's `chat`, started before his `recv --from alice` accepted a message, showed the broker's replay of it
    /// a second time: it read replay.bin only when it started. Opening through the store merges what others saved first.
    /// </summary>
    [Fact]
    public void A_receiver_refuses_what_another_receiver_of_the_user_accepted_while_it_ran()
    {
        using var folder = new TemporaryFolder();
        KeyStore store = KeyStore.Open(folder.Path, "bob", parties.Clock);
        using E2eSender sender = parties.AliceToBobSender();
        byte[] envelope = sender.Seal("pay carol 10"u8);

        using E2eReceiver chat = parties.BobReceiver();
        store.LoadReplayState(chat);
        using (E2eReceiver recv = parties.BobReceiver())
        {
            store.LoadReplayState(recv);
            Assert.Equal(E2eError.None, store.OpenRecorded(recv, () => TryOpen(recv, envelope)));
        }

        Assert.Equal(E2eError.Duplicate, store.OpenRecorded(chat, () => TryOpen(chat, envelope)));
    }

    /// <summary>As above, in a session both receivers have open: their windows are united before each open.</summary>
    [Fact]
    public void Two_receivers_with_one_session_open_each_refuse_what_the_other_accepted()
    {
        using var folder = new TemporaryFolder();
        KeyStore store = KeyStore.Open(folder.Path, "bob", parties.Clock);
        using E2eSender sender = parties.AliceToBobSender();
        byte[][] envelopes = [.. Enumerable.Range(0, 3).Select(i => sender.Seal([(byte)i]))];

        using E2eReceiver first = parties.BobReceiver();
        using E2eReceiver second = parties.BobReceiver();
        Assert.Equal(E2eError.None, store.OpenRecorded(first, () => TryOpen(first, envelopes[0])));
        Assert.Equal(E2eError.None, store.OpenRecorded(second, () => TryOpen(second, envelopes[1])));
        Assert.Equal(E2eError.None, store.OpenRecorded(first, () => TryOpen(first, envelopes[2])));

        Assert.Equal(E2eError.Duplicate, store.OpenRecorded(first, () => TryOpen(first, envelopes[1])));
        Assert.Equal(E2eError.Duplicate, store.OpenRecorded(second, () => TryOpen(second, envelopes[2])));
        Assert.Equal(E2eError.Duplicate, store.OpenRecorded(second, () => TryOpen(second, envelopes[0])));
    }

    [Fact]
    public void Two_receivers_of_one_session_saving_in_turn_keep_both_windows()
    {
        using var folder = new TemporaryFolder();
        KeyStore store = KeyStore.Open(folder.Path, "bob", parties.Clock);
        using E2eSender sender = parties.AliceToBobSender();
        byte[][] envelopes = [.. Enumerable.Range(0, 4).Select(i => sender.Seal([(byte)i]))];

        using E2eReceiver first = parties.BobReceiver();
        using E2eReceiver second = parties.BobReceiver();
        Assert.Equal(E2eError.None, TryOpen(first, envelopes[0]));
        Assert.Equal(E2eError.None, TryOpen(first, envelopes[1]));
        Assert.Equal(E2eError.None, TryOpen(second, envelopes[2]));
        store.SaveReplayState(first);
        store.SaveReplayState(second);

        using E2eReceiver restarted = parties.BobReceiver();
        store.LoadReplayState(restarted);
        Assert.Equal(E2eError.Duplicate, TryOpen(restarted, envelopes[0]));
        Assert.Equal(E2eError.Duplicate, TryOpen(restarted, envelopes[1]));
        Assert.Equal(E2eError.Duplicate, TryOpen(restarted, envelopes[2]));
        Assert.Equal(E2eError.None, TryOpen(restarted, envelopes[3]));
    }

    [Fact]
    public void A_session_one_receiver_closed_stays_closed_whatever_another_saves()
    {
        using var folder = new TemporaryFolder();
        KeyStore store = KeyStore.Open(folder.Path, "bob", parties.Clock);
        var oneSession = new E2eReceiverOptions { MaxSessionsPerSender = 1 };
        using E2eSender sender = parties.AliceToBobSender(new E2eSenderOptions { MaxMessagesPerSession = 2 });
        byte[][] envelopes = new byte[3][]; // 0 and 1 in the first session, 2 in the next
        for (int i = 0; i < envelopes.Length; i++)
        {
            parties.Clock.Advance(TimeSpan.FromMilliseconds(1));
            envelopes[i] = sender.Seal([(byte)i]);
        }

        using E2eReceiver closer = parties.BobReceiver(oneSession);
        using E2eReceiver stale = parties.BobReceiver(oneSession);
        Assert.Equal(E2eError.None, TryOpen(closer, envelopes[0]));
        Assert.Equal(E2eError.None, TryOpen(closer, envelopes[2])); // closes the first session
        Assert.Equal(E2eError.None, TryOpen(stale, envelopes[0])); // still has it open
        store.SaveReplayState(closer);
        store.SaveReplayState(stale);

        using E2eReceiver restarted = parties.BobReceiver(oneSession);
        store.LoadReplayState(restarted);
        Assert.Equal(E2eError.ReorderedBeyondWindow, TryOpen(restarted, envelopes[1]));
        Assert.Equal(E2eError.Duplicate, TryOpen(restarted, envelopes[2]));
    }

    /// <summary>The read, merge and write happen under replay.lock, so two processes saving at once lose nothing.</summary>
    [Fact]
    public async Task A_save_waits_while_another_holds_the_lock()
    {
        using var folder = new TemporaryFolder();
        KeyStore store = KeyStore.Open(folder.Path, "bob", parties.Clock);
        using E2eSender sender = parties.AliceToBobSender();
        using E2eReceiver receiver = parties.BobReceiver();
        Assert.Equal(E2eError.None, TryOpen(receiver, sender.Seal("x"u8)));
        string replayFile = Path.Combine(store.Directory, "replay.bin");

        Task saving;
        using (new FileStream(Path.Combine(store.Directory, "replay.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            saving = Task.Run(() => store.SaveReplayState(receiver));
            // With the lock held the save cannot finish, however long this waits; without a lock it finishes at once.
            await Task.WhenAny(saving, Task.Delay(300));
            Assert.False(saving.IsCompleted);
            Assert.False(File.Exists(replayFile));
        }

        await saving.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(File.Exists(replayFile));
    }

    [Fact]
    public void A_corrupt_state_is_refused_with_a_typed_error_only()
    {
        using E2eSender sender = parties.AliceToBobSender();
        using E2eReceiver source = parties.BobReceiver();
        TryOpen(source, sender.Seal("x"u8));
        byte[] state = source.ExportReplayState();

        Gen.OneOf(
                Gen.Byte.Array[0, 120],
                Gen.Select(Gen.Int[0, state.Length - 1], Gen.Byte).Select(m =>
                {
                    byte[] copy = (byte[])state.Clone();
                    copy[m.Item1] = m.Item2;
                    return copy;
                }),
                Gen.Int[0, state.Length - 1].Select(n => state[..n]))
            .Sample(bytes =>
            {
                using E2eReceiver receiver = parties.BobReceiver();
                try
                {
                    receiver.ImportReplayState(bytes);
                }
                catch (E2eException e)
                {
                    Assert.Equal(E2eError.CorruptKeyFile, e.Error);
                }
            });
    }

    private static E2eError TryOpen(E2eReceiver receiver, byte[] envelope) =>
        receiver.TryOpen("alice", Parties.AliceToBob, envelope, new byte[envelope.Length], out _);
}
