using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using CsCheck;
using Mqtt.Security.EndToEnd;
using Mqtt.Security.Hpke;

namespace Mqtt.Security.Tests.EndToEnd;

public sealed class KeyAnnouncementTests : IDisposable
{
    private readonly ManualTimeProvider clock = new();
    private readonly E2eIdentity bob;
    private readonly E2eIdentity carol;

    public KeyAnnouncementTests()
    {
        bob = E2eIdentity.Generate("bob", clock);
        carol = E2eIdentity.Generate("carol", clock);
    }

    public void Dispose()
    {
        bob.Dispose();
        carol.Dispose();
    }

    [Fact]
    public void An_announcement_round_trips_with_every_field()
    {
        KeyAnnouncement announcement = KeyAnnouncement.Parse(bob.Announcement.Encoded);

        Assert.Equal(KeyAnnouncement.CurrentVersion, announcement.Version);
        Assert.Equal("bob", announcement.User);
        Assert.Equal(bob.Fingerprint, announcement.Fingerprint);
        Assert.Equal(bob.Announcement.AgreementKey, announcement.AgreementKey);
        Assert.Equal(KeyAnnouncement.KeyIdOf(announcement.AgreementKey), announcement.AgreementKeyId);
        Assert.Equal(clock.GetUtcNow(), announcement.CreatedAt);
        Assert.Equal(bob.Announcement.Encoded.ToArray(), announcement.ToArray());
    }

    [Fact]
    public void The_layout_is_the_documented_one()
    {
        byte[] a = bob.Announcement.ToArray();

        Assert.Equal("MQKA"u8.ToArray(), a[..4]);
        Assert.Equal(1, a[4]);
        Assert.Equal(3, BinaryPrimitives.ReadUInt16BigEndian(a.AsSpan(5)));
        Assert.Equal("bob"u8.ToArray(), a[7..10]);
        Assert.Equal(0x04, a[10]); // identity key
        Assert.Equal(Fingerprint.Of(a.AsSpan(10, 65)), bob.Fingerprint);
        Assert.Equal(bob.Announcement.AgreementKey.Encoded.ToArray(), a[75..140]);
        Assert.Equal(clock.GetUtcNow().ToUnixTimeMilliseconds(), BinaryPrimitives.ReadInt64BigEndian(a.AsSpan(140)));
        Assert.Equal(7 + 3 + 65 + 65 + 8 + 64, a.Length);
    }

    [Fact]
    public void Any_flipped_bit_is_refused_and_a_flipped_signature_bit_as_BadSignature()
    {
        byte[] original = bob.Announcement.ToArray();
        int signatureStart = original.Length - 64;
        for (int bit = 0; bit < original.Length * 8; bit++)
        {
            byte[] tampered = (byte[])original.Clone();
            tampered[bit / 8] ^= (byte)(1 << (bit % 8));

            Assert.False(KeyAnnouncement.TryParse(tampered, out _, out E2eError error));
            Assert.NotEqual(E2eError.None, error);
            if (bit / 8 >= signatureStart)
            {
                Assert.Equal(E2eError.BadSignature, error);
            }
        }
    }

    [Fact]
    public void The_high_s_twin_of_a_valid_signature_is_refused()
    {
        byte[] a = bob.Announcement.ToArray();
        Span<byte> s = a.AsSpan(a.Length - 32);
        var n = new BigInteger(Convert.FromHexString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"), isUnsigned: true, isBigEndian: true);
        BigInteger twin = n - new BigInteger(s, isUnsigned: true, isBigEndian: true);
        s.Clear();
        twin.TryWriteBytes(s[(32 - twin.GetByteCount(isUnsigned: true))..], out _, isUnsigned: true, isBigEndian: true);

        Assert.False(KeyAnnouncement.TryParse(a, out _, out E2eError error));
        Assert.Equal(E2eError.BadSignature, error);
    }

    [Fact]
    public void Bobs_announcement_re_signed_by_another_key_is_refused_as_BadSignature()
    {
        byte[] a = bob.Announcement.ToArray();
        using ECDsa mallory = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] signed = [.. "mqttcore-e2e key announcement"u8, .. a.AsSpan(0, a.Length - 64)];
        mallory.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation).CopyTo(a, a.Length - 64);

        Assert.False(KeyAnnouncement.TryParse(a, out _, out E2eError error));
        Assert.Equal(E2eError.BadSignature, error);
    }

    [Fact]
    public void Carols_keys_relabelled_as_bob_fail_the_signature()
    {
        byte[] c = carol.Announcement.ToArray();
        byte[] relabelled = [.. c[..5], 0, 3, .. "bob"u8, .. c[12..]]; // "carol" (5 bytes) -> "bob"

        Assert.False(KeyAnnouncement.TryParse(relabelled, out _, out E2eError error));
        Assert.Equal(E2eError.BadSignature, error);
    }

    [Fact]
    public void Carols_genuine_announcement_on_bobs_topic_is_a_UserMismatch()
    {
        Assert.False(KeyAnnouncement.TryParse(carol.Announcement.Encoded, "bob", out _, out E2eError error));
        Assert.Equal(E2eError.UserMismatch, error);
        Assert.True(KeyAnnouncement.TryParse(bob.Announcement.Encoded, "bob", out _, out _));
    }

    [Fact]
    public void Strict_parsing_names_what_is_wrong()
    {
        byte[] a = bob.Announcement.ToArray();

        Assert.Equal(E2eError.Truncated, ErrorOf([]));
        Assert.Equal(E2eError.Truncated, ErrorOf(a[..3]));
        Assert.Equal(E2eError.Malformed, ErrorOf("MQKB"u8.ToArray()));
        Assert.Equal(E2eError.UnsupportedVersion, ErrorOf([.. a[..4], 2, .. a[5..]]));
        Assert.Equal(E2eError.UnsupportedVersion, ErrorOf([.. a[..4], 0]));
        Assert.Equal(E2eError.Malformed, ErrorOf([.. a, 0])); // trailing byte
        Assert.Equal(E2eError.Malformed, ErrorOf([.. a[..5], 0, 0, .. a[7..]])); // empty user
        Assert.Equal(E2eError.Malformed, ErrorOf([.. a[..7], (byte)'$', .. a[8..]])); // not a valid user name
        for (int length = 0; length < a.Length; length++)
        {
            Assert.Contains(ErrorOf(a[..length]), new[] { E2eError.Truncated, E2eError.UnsupportedVersion, E2eError.Malformed });
        }

        byte[] offCurve = (byte[])a.Clone();
        offCurve[80] ^= 1; // agreement key X
        Assert.Equal(E2eError.Malformed, ErrorOf(offCurve));
    }

    [Fact]
    public void Random_and_mutated_bytes_only_ever_give_a_typed_error()
    {
        byte[] a = bob.Announcement.ToArray();
        Gen.OneOf(
                Gen.Byte.Array[0, 400],
                Gen.Select(Gen.Int[0, a.Length - 1], Gen.Byte, Gen.Int[0, a.Length]).Select(m =>
                {
                    byte[] copy = (byte[])a.Clone();
                    copy[m.Item1] = m.Item2;
                    return copy[..m.Item3];
                }))
            .Sample(static bytes =>
            {
                bool ok = KeyAnnouncement.TryParse(bytes, out KeyAnnouncement? parsed, out E2eError error);
                Assert.Equal(ok, error == E2eError.None);
                Assert.Equal(ok, parsed is not null);
            });
    }

    [Fact]
    public void Rotation_signs_a_newer_announcement_with_the_same_identity()
    {
        KeyAnnouncement before = bob.Announcement;
        KeyAnnouncement after = bob.RotateAgreementKey();

        Assert.Equal(before.Fingerprint, after.Fingerprint);
        Assert.NotEqual(before.AgreementKey, after.AgreementKey);
        Assert.True(after.CreatedAt > before.CreatedAt); // even on a clock that did not move
        Assert.Same(after, bob.Announcement);
        Assert.True(KeyAnnouncement.TryParse(after.Encoded, "bob", out _, out _));
    }

    private static E2eError ErrorOf(byte[] bytes)
    {
        Assert.False(KeyAnnouncement.TryParse(bytes, out _, out E2eError error));
        return error;
    }
}
