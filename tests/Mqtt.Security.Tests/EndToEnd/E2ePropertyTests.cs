using System.Text;
using CsCheck;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Security.Tests.EndToEnd;

/// <summary>
/// Properties over random messages, sizes, orders and corruptions: what is sealed opens exactly once,
/// and anything else gives a typed error, never another exception, never a plaintext.
/// </summary>
public sealed class E2ePropertyTests : IDisposable
{
    private readonly Parties parties = new();

    public void Dispose() => parties.Dispose();

    [Fact]
    public void Random_messages_of_random_sizes_round_trip_under_random_session_settings()
    {
        Gen.Select(Gen.Byte.Array[0, 3000].Array[1, 40], Gen.Int[1, 8], Gen.Int[1, 5])
            .Sample(
                (messages, maxPerSession, startInterval) =>
                {
                    var options = new E2eSenderOptions { MaxMessagesPerSession = maxPerSession, SessionStartInterval = startInterval };
                    using E2eSender sender = parties.AliceToBobSender(options);
                    using E2eReceiver receiver = parties.BobReceiver(new E2eReceiverOptions { MaxSessionsPerSender = 64 });
                    foreach (byte[] message in messages)
                    {
                        byte[] envelope = sender.Seal(message);
                        Assert.Equal(message, receiver.Open("alice", Parties.AliceToBob, envelope));
                        Assert.Equal(E2eError.Duplicate, receiver.TryOpen("alice", Parties.AliceToBob, envelope, new byte[envelope.Length], out _));
                    }
                },
                iter: 60);
    }

    [Fact]
    public void Messages_shuffled_within_the_window_each_open_exactly_once()
    {
        Gen.Int[2, 64].SelectMany(static n => Gen.Shuffle(Enumerable.Range(0, n).ToArray()))
            .Sample(
                order =>
                {
                    using E2eSender sender = parties.AliceToBobSender();
                    using E2eReceiver receiver = parties.BobReceiver();
                    byte[][] envelopes = [.. Enumerable.Range(0, order.Length).Select(i => sender.Seal(BitConverter.GetBytes(i)))];
                    byte[] plaintext = new byte[4];
                    foreach (int i in order)
                    {
                        Assert.Equal(E2eError.None, receiver.TryOpen("alice", Parties.AliceToBob, envelopes[i], plaintext, out _));
                        Assert.Equal(i, BitConverter.ToInt32(plaintext));
                    }

                    foreach (byte[] envelope in envelopes)
                    {
                        Assert.Equal(E2eError.Duplicate, receiver.TryOpen("alice", Parties.AliceToBob, envelope, plaintext, out _));
                    }
                },
                iter: 40);
    }

    [Fact]
    public void Every_flipped_bit_of_an_envelope_fails_whether_or_not_its_session_is_open()
    {
        using E2eSender sender = parties.AliceToBobSender();
        byte[] opening = sender.Seal("opens the session"u8);
        byte[] later = sender.Seal("a later message"u8);
        using E2eReceiver established = parties.BobReceiver();
        Assert.Equal(E2eError.None, TryOpen(established, opening, out _));

        for (int bit = 0; bit < later.Length * 8; bit++)
        {
            byte[] flipped = Flip(later, bit);
            using E2eReceiver fresh = parties.BobReceiver();
            AssertRefused(TryOpen(fresh, flipped, out byte[] freshPlaintext), freshPlaintext, bit);
            AssertRefused(TryOpen(established, flipped, out byte[] plaintext), plaintext, bit);
        }

        Assert.Equal(E2eError.None, TryOpen(established, later, out _)); // the session survived every attempt
    }

    [Fact]
    public void A_flipped_bit_in_a_random_message_ciphertext_tag_or_header_fails()
    {
        Gen.Select(Gen.Byte.Array[0, 2000], Gen.Int.NonNegative, Gen.Int[1, 3])
            .Sample(
                (message, bitSeed, startInterval) =>
                {
                    using E2eSender sender = parties.AliceToBobSender(new E2eSenderOptions { SessionStartInterval = startInterval });
                    using E2eReceiver receiver = parties.BobReceiver();
                    Assert.Equal(E2eError.None, TryOpen(receiver, sender.Seal("start"u8), out _));
                    byte[] envelope = sender.Seal(message);
                    int bit = bitSeed % (envelope.Length * 8);

                    AssertRefused(TryOpen(receiver, Flip(envelope, bit), out byte[] plaintext), plaintext, bit);
                    Assert.Equal(E2eError.None, TryOpen(receiver, envelope, out plaintext));
                    Assert.Equal(message, plaintext[..message.Length]);
                },
                iter: 200);
    }

    [Fact]
    public void A_flipped_bit_in_the_topic_fails()
    {
        Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 1, 40], Gen.Int.NonNegative)
            .Sample(
                (suffix, bitSeed) =>
                {
                    string topic = "alice/bob/" + suffix;
                    using E2eSender sender = parties.AliceToBobSender(topic: topic);
                    using E2eReceiver receiver = parties.BobReceiver();
                    byte[] envelope = sender.Seal("payload"u8);
                    byte[] topicBytes = Encoding.UTF8.GetBytes(topic);

                    byte[] flipped = Flip(topicBytes, bitSeed % (topicBytes.Length * 8));
                    byte[] plaintext = new byte[envelope.Length];
                    Assert.Equal(E2eError.Tampered, receiver.TryOpen("alice", flipped, envelope, plaintext, out int written));
                    Assert.Equal(0, written);
                    Assert.Equal(E2eError.None, receiver.TryOpen("alice", topicBytes, envelope, plaintext, out _));
                },
                iter: 50);
    }

    [Fact]
    public void Sender_and_recipient_names_are_bound_even_between_users_holding_the_same_keys()
    {
        // "alicf" and "bxb" hold exactly alice's and bob's keys (copied key stores): only the names differ.
        using var folder = new TemporaryFolder();
        using E2eIdentity alice = Stored(folder, "alice", out _);
        using E2eIdentity alicf = Twin(folder, "alice", "alicf");
        using E2eIdentity bob = Stored(folder, "bob", out _);
        using E2eIdentity bxb = Twin(folder, "bob", "bxb");
        Assert.Equal(alice.Announcement.AgreementKeyId, alicf.Announcement.AgreementKeyId);
        Assert.Equal(bob.Announcement.AgreementKeyId, bxb.Announcement.AgreementKeyId);

        TrustStore aliceTrust = TrustStore.InMemory();
        aliceTrust.Accept(bob.Announcement);
        TrustStore receiverTrust = TrustStore.InMemory();
        receiverTrust.Accept(alice.Announcement);
        receiverTrust.Accept(alicf.Announcement);
        using var sender = new E2eSender(alice, Parties.PeerIn(aliceTrust, "bob"), Parties.AliceToBob);
        byte[] envelope = sender.Seal("bound to alice and bob"u8);
        byte[] plaintext = new byte[envelope.Length];

        using var asBxb = new E2eReceiver(bxb, receiverTrust);
        Assert.Equal(E2eError.Tampered, asBxb.TryOpen("alice", Parties.AliceToBob, envelope, plaintext, out _));
        using var asBob = new E2eReceiver(bob, receiverTrust);
        Assert.Equal(E2eError.Tampered, asBob.TryOpen("alicf", Parties.AliceToBob, envelope, plaintext, out _));
        Assert.Equal(E2eError.None, asBob.TryOpen("alice", Parties.AliceToBob, envelope, plaintext, out _));
    }

    [Fact]
    public void Random_bytes_give_only_a_typed_error()
    {
        using E2eReceiver receiver = parties.BobReceiver();
        Gen.OneOf(
                Gen.Byte.Array[0, 300],
                Gen.Byte.Array[0, 300].Select(static b => (byte[])[(byte)'E', (byte)'2', 2, 0, .. b]),
                Gen.Byte.Array[0, 300].Select(static b => (byte[])[(byte)'E', (byte)'2', 2, 1, .. b]))
            .Sample(
                bytes =>
                {
                    byte[] plaintext = new byte[bytes.Length];
                    E2eError error = receiver.TryOpen("alice", Parties.AliceToBob, bytes, plaintext, out int written);
                    Assert.NotEqual(E2eError.None, error);
                    Assert.True(Enum.IsDefined(error));
                    Assert.Equal(0, written);
                },
                iter: 2000);
    }

    [Fact]
    public void Mutated_envelopes_give_only_a_typed_error_or_exactly_the_sealed_message()
    {
        using E2eSender sender = parties.AliceToBobSender(new E2eSenderOptions { SessionStartInterval = 2 });
        using E2eReceiver receiver = parties.BobReceiver();
        byte[] message = "the one true message"u8.ToArray();
        Assert.Equal(E2eError.None, TryOpen(receiver, sender.Seal("start"u8), out _));
        byte[] withoutStart = sender.Seal(message);
        byte[] withStart = sender.Seal(message);

        Gen<byte[]> original = Gen.Bool.Select(b => b ? withStart : withoutStart);
        Gen<byte[]> mutated = Gen.OneOf(
            Gen.Select(original, Gen.Int.NonNegative, Gen.Byte).Select(static m => Set(m.Item1, m.Item2, m.Item3)),
            Gen.Select(original, Gen.Int.NonNegative).Select(static m => m.Item1[..(m.Item2 % m.Item1.Length)]),
            Gen.Select(original, Gen.Byte.Array[1, 20]).Select(static m => (byte[])[.. m.Item1, .. m.Item2]),
            Gen.Select(original, Gen.Int.NonNegative, Gen.Byte.Array[1, 20]).Select(static m => Splice(m.Item1, m.Item2, m.Item3)));

        mutated.Sample(
            bytes =>
            {
                E2eError error = TryOpen(receiver, bytes, out byte[] plaintext);
                if (error == E2eError.None)
                {
                    Assert.True(bytes.AsSpan().SequenceEqual(withoutStart) || bytes.AsSpan().SequenceEqual(withStart));
                    Assert.Equal(message, plaintext[..message.Length]);
                }
                else
                {
                    Assert.True(Enum.IsDefined(error));
                }
            },
            iter: 2000);
    }

    private static E2eError TryOpen(E2eReceiver receiver, byte[] envelope, out byte[] plaintext)
    {
        plaintext = new byte[envelope.Length];
        E2eError error = receiver.TryOpen("alice", Parties.AliceToBob, envelope, plaintext, out int written);
        int header = error == E2eError.None && envelope[3] == E2eEnvelope.SessionStartFlag ? 117 : 28;
        Assert.Equal(error == E2eError.None ? envelope.Length - header - E2eEnvelope.TagSize : 0, written);
        return error;
    }

    private static void AssertRefused(E2eError error, byte[] plaintext, int bit)
    {
        Assert.True(error != E2eError.None, $"bit {bit} was not detected");
        Assert.True(Enum.IsDefined(error));
        Assert.True(plaintext.AsSpan().IndexOfAnyExcept((byte)0) < 0, $"bit {bit}: plaintext surfaced");
    }

    private static byte[] Flip(byte[] bytes, int bit)
    {
        byte[] copy = (byte[])bytes.Clone();
        copy[bit / 8] ^= (byte)(1 << (bit % 8));
        return copy;
    }

    private static byte[] Set(byte[] bytes, int index, byte value)
    {
        byte[] copy = (byte[])bytes.Clone();
        copy[index % copy.Length] = value;
        return copy;
    }

    private static byte[] Splice(byte[] bytes, int at, byte[] inserted)
    {
        int index = at % bytes.Length;
        return [.. bytes[..index], .. inserted, .. bytes[index..]];
    }

    private static E2eIdentity Stored(TemporaryFolder folder, string user, out KeyStore store)
    {
        store = KeyStore.Open(folder.Path, user);
        return store.LoadOrCreateIdentity();
    }

    private static E2eIdentity Twin(TemporaryFolder folder, string user, string twin)
    {
        KeyStore source = KeyStore.Open(folder.Path, user);
        KeyStore target = KeyStore.Open(folder.Path, twin);
        foreach (string file in new[] { "identity.pem", "agreement.pem" })
        {
            string destination = Path.Combine(target.Directory, file);
            File.Copy(Path.Combine(source.Directory, file), destination);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(destination, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        return target.LoadIdentity(); // signs an announcement for the twin's name with the same keys
    }
}
