using CsCheck;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Security.Tests.EndToEnd;

/// <summary>A receiver restarted with its saved replay state still accepts each message only once.</summary>
public sealed class ReplayStateTests : IDisposable
{
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
