using CsCheck;
using Mqtt.Security.Hpke;

namespace Mqtt.Security.Tests.Hpke;

/// <summary>
/// Properties over random messages, keys and corruptions: what seals opens, and anything else
/// fails with an <see cref="HpkeException"/>, never another exception and never a wrong plaintext.
/// </summary>
public sealed class HpkePropertyTests
{
    private static readonly HpkeSuite[] Suites = [HpkeSuite.DhkemP256HkdfSha256Aes128Gcm, HpkeSuite.DhkemP256HkdfSha256Aes256Gcm];

    // info crosses the 256-byte stack buffer of LabeledExtract, so the pooled path runs too.
    private static readonly Gen<(int Suite, bool Auth, byte[] Info, byte[] Aad, byte[][] Messages)> Conversation =
        Gen.Select(
            Gen.Int[0, 1],
            Gen.Bool,
            Gen.Byte.Array[0, 300],
            Gen.Byte.Array[0, 64],
            Gen.Byte.Array[0, 2048].Array[1, 4]);

    [Fact]
    public void Random_messages_of_random_sizes_round_trip_in_order()
    {
        Conversation.Sample(static (suiteIndex, auth, info, aad, messages) =>
        {
            using var parties = new Parties(Suites[suiteIndex], auth);
            (byte[] enc, HpkeSenderContext sender) = parties.SetupSender(info);
            using (sender)
            using (HpkeRecipientContext recipient = parties.SetupRecipient(enc, info))
            {
                foreach (byte[] message in messages)
                {
                    byte[] ct = sender.Seal(aad, message);
                    Assert.Equal(message.Length + HpkeSuite.TagSize, ct.Length);
                    Assert.Equal(message, recipient.Open(aad, ct));
                }
            }
        });
    }

    [Fact]
    public void Any_flipped_bit_in_enc_ciphertext_tag_or_aad_fails_to_open()
    {
        Gen<(int, bool, byte[], byte[], int, int)> gen = Gen.Select(
            Gen.Int[0, 1], Gen.Bool, Gen.Byte.Array[0, 100], Gen.Byte.Array[1, 32], Gen.Int[0, 3], Gen.Int.NonNegative);
        gen.Sample(static (suiteIndex, auth, message, aad, part, bitSeed) =>
        {
            using var parties = new Parties(Suites[suiteIndex], auth);
            (byte[] enc, HpkeSenderContext sender) = parties.SetupSender([]);
            byte[] ct;
            using (sender)
            {
                ct = sender.Seal(aad, message);
            }

            int bodyLength = ct.Length - HpkeSuite.TagSize;
            switch (part)
            {
                case 0:
                    Flip(enc, 0, enc.Length, bitSeed);
                    break;
                case 1 when bodyLength > 0:
                    Flip(ct, 0, bodyLength, bitSeed);
                    break;
                case 1:
                case 2:
                    Flip(ct, bodyLength, HpkeSuite.TagSize, bitSeed);
                    break;
                default:
                    Flip(aad, 0, aad.Length, bitSeed);
                    break;
            }

            HpkeException e = Assert.Throws<HpkeException>(() =>
            {
                using HpkeRecipientContext recipient = parties.SetupRecipient(enc, []);
                recipient.Open(aad, ct);
            });
            Assert.True(e.Error is HpkeError.OpenFailed or HpkeError.InvalidPublicKey, e.Error.ToString());
        }, iter: 400);
    }

    [Fact]
    public void A_message_for_one_recipient_does_not_open_with_another_recipients_key()
    {
        Gen.Select(Gen.Int[0, 1], Gen.Bool, Gen.Byte.Array[0, 100]).Sample(static (suiteIndex, auth, message) =>
        {
            using var parties = new Parties(Suites[suiteIndex], auth);
            using HpkePrivateKey otherRecipient = DhkemP256.GenerateKeyPair();
            (byte[] enc, HpkeSenderContext sender) = parties.SetupSender([]);
            byte[] ct;
            using (sender)
            {
                ct = sender.Seal([], message);
            }

            using HpkeRecipientContext wrong = parties.SetupRecipient(enc, [], recipient: otherRecipient);
            HpkeException e = Assert.Throws<HpkeException>(() => wrong.Open([], ct));
            Assert.Equal(HpkeError.OpenFailed, e.Error);
        });
    }

    [Fact]
    public void An_auth_message_does_not_open_when_another_sender_key_is_expected()
    {
        Gen.Select(Gen.Int[0, 1], Gen.Byte.Array[0, 100]).Sample(static (suiteIndex, message) =>
        {
            using var parties = new Parties(Suites[suiteIndex], auth: true);
            using HpkePrivateKey impostor = DhkemP256.GenerateKeyPair();
            (byte[] enc, HpkeSenderContext sender) = parties.SetupSender([]);
            byte[] ct;
            using (sender)
            {
                ct = sender.Seal([], message);
            }

            using HpkeRecipientContext wrong = parties.SetupRecipient(enc, [], expectedSender: impostor.PublicKey);
            HpkeException e = Assert.Throws<HpkeException>(() => wrong.Open([], ct));
            Assert.Equal(HpkeError.OpenFailed, e.Error);
        });
    }

    [Fact]
    public void Hostile_enc_bytes_only_ever_raise_HpkeException()
    {
        // Random lengths and content, plus 65-byte strings with the right prefix so the curve check runs.
        Gen<byte[]> anyBytes = Gen.Byte.Array[0, 200];
        Gen<byte[]> prefixed = Gen.Byte.Array[64].Select(static tail => (byte[])[0x04, .. tail]);
        Gen.Select(Gen.OneOf(anyBytes, prefixed), Gen.Bool, Gen.Byte.Array[0, 64]).Sample(static (enc, auth, ct) =>
        {
            using var parties = new Parties(HpkeSuite.DhkemP256HkdfSha256Aes256Gcm, auth);
            try
            {
                using HpkeRecipientContext recipient = parties.SetupRecipient(enc, []);
                recipient.Open([], ct);
                Assert.Fail("a random enc and ciphertext opened");
            }
            catch (HpkeException e)
            {
                Assert.True(e.Error is HpkeError.OpenFailed or HpkeError.InvalidPublicKey, e.Error.ToString());
            }
        }, iter: 400);
    }

    private static void Flip(byte[] bytes, int offset, int length, int bitSeed)
    {
        int bit = bitSeed % (length * 8);
        bytes[offset + (bit / 8)] ^= (byte)(1 << (bit % 8));
    }

    /// <summary>A fresh recipient and sender key pair, and setup in base or auth mode.</summary>
    private sealed class Parties(HpkeSuite suite, bool auth) : IDisposable
    {
        private readonly HpkePrivateKey recipient = DhkemP256.GenerateKeyPair();
        private readonly HpkePrivateKey sender = DhkemP256.GenerateKeyPair();

        public (byte[] Enc, HpkeSenderContext Context) SetupSender(byte[] info) => auth
            ? suite.SetupAuthS(recipient.PublicKey, info, sender)
            : suite.SetupBaseS(recipient.PublicKey, info);

        public HpkeRecipientContext SetupRecipient(
            byte[] enc, byte[] info, HpkePrivateKey? recipient = null, HpkePublicKey? expectedSender = null) => auth
            ? suite.SetupAuthR(enc, recipient ?? this.recipient, info, expectedSender ?? sender.PublicKey)
            : suite.SetupBaseR(enc, recipient ?? this.recipient, info);

        public void Dispose()
        {
            recipient.Dispose();
            sender.Dispose();
        }
    }
}
