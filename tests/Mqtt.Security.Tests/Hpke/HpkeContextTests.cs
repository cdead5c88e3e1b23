using Mqtt.Security.Hpke;

namespace Mqtt.Security.Tests.Hpke;

/// <summary>Context behaviour RFC 9180 sections 5.2, 5.3 and 6 describe, and this API's buffer contract.</summary>
public sealed class HpkeContextTests : IDisposable
{
    private static readonly HpkeSuite Suite = HpkeSuite.DhkemP256HkdfSha256Aes256Gcm;
    private static readonly byte[] Info = "A/B/messages"u8.ToArray();
    private readonly HpkePrivateKey recipient = DhkemP256.GenerateKeyPair();
    private readonly HpkePrivateKey sender = DhkemP256.GenerateKeyPair();

    public void Dispose()
    {
        recipient.Dispose();
        sender.Dispose();
    }

    [Fact]
    public void TryGet_finds_exactly_the_two_supported_suites()
    {
        Assert.True(HpkeSuite.TryGet(HpkeKemId.DhkemP256HkdfSha256, HpkeKdfId.HkdfSha256, HpkeAeadId.Aes128Gcm, out HpkeSuite? aes128));
        Assert.Same(HpkeSuite.DhkemP256HkdfSha256Aes128Gcm, aes128);
        Assert.Equal(16, aes128.KeySize);
        Assert.True(HpkeSuite.TryGet(HpkeKemId.DhkemP256HkdfSha256, HpkeKdfId.HkdfSha256, HpkeAeadId.Aes256Gcm, out HpkeSuite? aes256));
        Assert.Same(HpkeSuite.DhkemP256HkdfSha256Aes256Gcm, aes256);
        Assert.Equal(32, aes256.KeySize);
        Assert.False(HpkeSuite.TryGet((HpkeKemId)0x0020, HpkeKdfId.HkdfSha256, HpkeAeadId.Aes128Gcm, out _));
        Assert.False(HpkeSuite.TryGet(HpkeKemId.DhkemP256HkdfSha256, (HpkeKdfId)0x0002, HpkeAeadId.Aes128Gcm, out _));
        Assert.False(HpkeSuite.TryGet(HpkeKemId.DhkemP256HkdfSha256, HpkeKdfId.HkdfSha256, (HpkeAeadId)0x0003, out _));
    }

    [Fact]
    public void Seal_and_Open_advance_the_sequence_number_once_per_message()
    {
        (byte[] enc, HpkeSenderContext s) = Suite.SetupBaseS(recipient.PublicKey, Info);
        using HpkeRecipientContext r = Suite.SetupBaseR(enc, recipient, Info);
        using (s)
        {
            for (ulong i = 0; i < 3; i++)
            {
                Assert.Equal(i, s.SequenceNumber);
                Assert.Equal(i, r.SequenceNumber);
                byte[] message = [(byte)i];
                Assert.Equal(message, r.Open([], s.Seal([], message)));
            }
        }
    }

    [Fact]
    public void Open_accepts_messages_only_in_the_order_they_were_sealed()
    {
        (byte[] enc, HpkeSenderContext s) = Suite.SetupBaseS(recipient.PublicKey, Info);
        using HpkeRecipientContext r = Suite.SetupBaseR(enc, recipient, Info);
        using (s)
        {
            byte[] first = s.Seal([], "first"u8);
            byte[] second = s.Seal([], "second"u8);

            AssertError(HpkeError.OpenFailed, () => r.Open([], second));
            Assert.Equal("first"u8.ToArray(), r.Open([], first));
            Assert.Equal("second"u8.ToArray(), r.Open([], second));
        }
    }

    [Fact]
    public void Open_at_an_explicit_sequence_number_opens_in_any_order_and_leaves_the_counter()
    {
        (byte[] enc, HpkeSenderContext s) = Suite.SetupAuthS(recipient.PublicKey, Info, sender);
        using HpkeRecipientContext r = Suite.SetupAuthR(enc, recipient, Info, sender.PublicKey);
        using (s)
        {
            byte[][] sealedMessages = [s.Seal("a"u8, "zero"u8), s.Seal("a"u8, "one"u8), s.Seal("a"u8, "two"u8)];
            byte[] plaintext = new byte[16];

            Assert.Equal(3, r.Open(2, "a"u8, sealedMessages[2], plaintext));
            Assert.Equal("two"u8.ToArray(), plaintext[..3]);
            Assert.Equal(4, r.Open(0, "a"u8, sealedMessages[0], plaintext));
            Assert.Equal("zero"u8.ToArray(), plaintext[..4]);
            Assert.Equal(0UL, r.SequenceNumber);

            // The sequence number is part of the nonce: any other one fails, and so does other aad.
            AssertError(HpkeError.OpenFailed, () => r.Open(2, "a"u8, sealedMessages[1], new byte[16]));
            AssertError(HpkeError.OpenFailed, () => r.Open(1, "b"u8, sealedMessages[1], new byte[16]));
            AssertError(HpkeError.OpenFailed, () => r.Open(1, "a"u8, sealedMessages[1].AsSpan(0, 15).ToArray(), new byte[16]));
            Assert.Equal(3, r.Open(1, "a"u8, sealedMessages[1], plaintext));

            // In-order opening is unaffected.
            Assert.Equal("zero"u8.ToArray(), r.Open("a"u8, sealedMessages[0]));
            Assert.Equal(1UL, r.SequenceNumber);
        }
    }

    [Fact]
    public void A_failed_Open_leaves_the_sequence_number_and_clears_the_plaintext_buffer()
    {
        (byte[] enc, HpkeSenderContext s) = Suite.SetupBaseS(recipient.PublicKey, Info);
        using HpkeRecipientContext r = Suite.SetupBaseR(enc, recipient, Info);
        using (s)
        {
            byte[] ct = s.Seal("aad"u8, "attack at dawn"u8);
            byte[] plaintext = Enumerable.Repeat((byte)0xAA, 64).ToArray();

            AssertError(HpkeError.OpenFailed, () => r.Open("other aad"u8, ct, plaintext));

            Assert.Equal(0UL, r.SequenceNumber);
            Assert.All(plaintext.AsSpan(0, ct.Length - HpkeSuite.TagSize).ToArray(), static b => Assert.Equal(0, b));
            Assert.Equal("attack at dawn"u8.ToArray(), r.Open("aad"u8, ct));
        }
    }

    [Fact]
    public void Every_truncation_of_a_ciphertext_fails_with_OpenFailed()
    {
        (byte[] enc, byte[] ct) = Suite.SealBase(recipient.PublicKey, Info, [], "0123456789"u8);
        for (int length = 0; length < ct.Length; length++)
        {
            byte[] truncated = ct[..length];
            AssertError(HpkeError.OpenFailed, () => Suite.OpenBase(enc, recipient, Info, [], truncated));
        }
    }

    [Fact]
    public void Open_with_a_different_info_fails()
    {
        (byte[] enc, byte[] ct) = Suite.SealBase(recipient.PublicKey, Info, [], "hello"u8);

        AssertError(HpkeError.OpenFailed, () => Suite.OpenBase(enc, recipient, "B/A/messages"u8, [], ct));
    }

    [Fact]
    public void Single_shot_base_and_auth_round_trip()
    {
        (byte[] enc, byte[] ct) = Suite.SealBase(recipient.PublicKey, Info, "aad"u8, "base"u8);
        Assert.Equal("base"u8.ToArray(), Suite.OpenBase(enc, recipient, Info, "aad"u8, ct));

        (enc, ct) = Suite.SealAuth(recipient.PublicKey, Info, "aad"u8, "auth"u8, sender);
        Assert.Equal("auth"u8.ToArray(), Suite.OpenAuth(enc, recipient, Info, "aad"u8, ct, sender.PublicKey));
    }

    [Fact]
    public void Psk_modes_round_trip_and_fail_with_another_psk()
    {
        byte[] psk = new byte[32];
        psk[0] = 1;
        byte[] otherPsk = new byte[32];
        byte[] pskId = "id"u8.ToArray();

        (byte[] enc, HpkeSenderContext s) = Suite.SetupPskS(recipient.PublicKey, Info, psk, pskId);
        using (s)
        {
            byte[] ct = s.Seal([], "psk"u8);
            using HpkeRecipientContext good = Suite.SetupPskR(enc, recipient, Info, psk, pskId);
            Assert.Equal("psk"u8.ToArray(), good.Open([], ct));
            using HpkeRecipientContext bad = Suite.SetupPskR(enc, recipient, Info, otherPsk, pskId);
            AssertError(HpkeError.OpenFailed, () => bad.Open([], ct));
        }

        (enc, s) = Suite.SetupAuthPskS(recipient.PublicKey, Info, psk, pskId, sender);
        using (s)
        using (HpkeRecipientContext r = Suite.SetupAuthPskR(enc, recipient, Info, psk, pskId, sender.PublicKey))
        {
            Assert.Equal("auth psk"u8.ToArray(), r.Open([], s.Seal([], "auth psk"u8)));
        }
    }

    [Fact]
    public void Psk_inputs_must_come_together_and_only_in_psk_modes()
    {
        byte[] psk = new byte[32];
        psk[0] = 1;
        AssertError(HpkeError.InconsistentPskInputs, () => Suite.SetupPskS(recipient.PublicKey, Info, psk, []));
        AssertError(HpkeError.InconsistentPskInputs, () => Suite.SetupPskS(recipient.PublicKey, Info, [], "id"u8));
        AssertError(HpkeError.InconsistentPskInputs, () => Suite.SetupPskS(recipient.PublicKey, Info, [], []));
        AssertError(HpkeError.InconsistentPskInputs, () => Suite.SetupS(HpkeMode.Base, recipient.PublicKey, Info, psk, "id"u8, null, null));
    }

    [Fact]
    public void A_context_at_the_last_sequence_number_refuses_with_MessageLimitReached()
    {
        (byte[] enc, HpkeSenderContext s) = Suite.SetupBaseS(recipient.PublicKey, Info);
        using HpkeRecipientContext r = Suite.SetupBaseR(enc, recipient, Info);
        using (s)
        {
            s.SequenceNumber = ulong.MaxValue - 1;
            r.SequenceNumber = ulong.MaxValue - 1;
            Assert.Equal("last"u8.ToArray(), r.Open([], s.Seal([], "last"u8)));

            AssertError(HpkeError.MessageLimitReached, () => s.Seal([], "one too many"u8));
            AssertError(HpkeError.MessageLimitReached, () => r.Open([], new byte[HpkeSuite.TagSize]));
        }
    }

    [Fact]
    public void Span_overloads_reject_a_destination_too_small()
    {
        (byte[] enc, HpkeSenderContext s) = Suite.SetupBaseS(recipient.PublicKey, Info);
        using HpkeRecipientContext r = Suite.SetupBaseR(enc, recipient, Info);
        using (s)
        {
            Assert.Throws<ArgumentException>(() => s.Seal([], new byte[10], new byte[10 + HpkeSuite.TagSize - 1]));
            Assert.Equal(0UL, s.SequenceNumber);
            byte[] ct = s.Seal([], new byte[10]);
            Assert.Throws<ArgumentException>(() => r.Open([], ct, new byte[9]));
            Assert.Equal(0UL, r.SequenceNumber);
        }
    }

    [Fact]
    public void Span_Seal_and_Open_allocate_nothing_per_message()
    {
        (byte[] enc, HpkeSenderContext s) = Suite.SetupAuthS(recipient.PublicKey, Info, sender);
        using HpkeRecipientContext r = Suite.SetupAuthR(enc, recipient, Info, sender.PublicKey);
        using (s)
        {
            byte[] aad = new byte[32];
            byte[] plaintext = new byte[1024];
            byte[] ciphertext = new byte[plaintext.Length + HpkeSuite.TagSize];
            byte[] opened = new byte[plaintext.Length];
            SealAndOpen(s, r, aad, plaintext, ciphertext, opened); // JIT and one-time platform setup

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++)
            {
                SealAndOpen(s, r, aad, plaintext, ciphertext, opened);
            }

            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        static void SealAndOpen(HpkeSenderContext s, HpkeRecipientContext r, byte[] aad, byte[] pt, byte[] ct, byte[] opened)
        {
            s.Seal(aad, pt, ct);
            r.Open(aad, ct, opened);
        }
    }

    [Fact]
    public void Export_depends_on_the_context_string_and_length_and_not_on_the_sequence_number()
    {
        (byte[] enc, HpkeSenderContext s) = Suite.SetupBaseS(recipient.PublicKey, Info);
        using HpkeRecipientContext r = Suite.SetupBaseR(enc, recipient, Info);
        using (s)
        {
            byte[] a = s.Export("a"u8, 32);
            s.Seal([], "move the sequence number"u8);

            Assert.Equal(a, r.Export("a"u8, 32));
            Assert.Equal(a, s.Export("a"u8, 32));
            Assert.NotEqual(a, s.Export("b"u8, 32));
            Assert.NotEqual(a.AsSpan(0, 16).ToArray(), s.Export("a"u8, 16)); // L is in the label
            Assert.Empty(s.Export("a"u8, 0));
            Assert.Equal(8160, s.Export("a"u8, 8160).Length);
            Assert.Throws<ArgumentOutOfRangeException>(() => s.Export("a"u8, 8161));
            Assert.Throws<ArgumentOutOfRangeException>(() => s.Export("a"u8, -1));
        }
    }

    [Fact]
    public void A_disposed_context_cannot_be_used()
    {
        (byte[] enc, HpkeSenderContext s) = Suite.SetupBaseS(recipient.PublicKey, Info);
        HpkeRecipientContext r = Suite.SetupBaseR(enc, recipient, Info);
        s.Dispose();
        r.Dispose();
        s.Dispose();

        Assert.Throws<ObjectDisposedException>(() => s.Seal([], "x"u8));
        Assert.Throws<ObjectDisposedException>(() => r.Open([], new byte[HpkeSuite.TagSize]));
        Assert.Throws<ObjectDisposedException>(() => s.Export([], 32));
    }

    private static void AssertError(HpkeError expected, Action action)
    {
        HpkeException e = Assert.Throws<HpkeException>(action);
        Assert.Equal(expected, e.Error);
    }

    private static void AssertError(HpkeError expected, Func<object> action) => AssertError(expected, () => { action(); });
}
