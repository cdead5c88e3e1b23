using System.Numerics;
using System.Security.Cryptography;
using Mqtt.Security.Hpke;

namespace Mqtt.Security.Tests.Hpke;

/// <summary>DHKEM(P-256, HKDF-SHA256) beyond the RFC vectors: key validation and KEM agreement.</summary>
public sealed class DhkemP256Tests
{
    private static readonly byte[] Order = Convert.FromHexString("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");

    [Fact]
    public void Curve_constants_match_the_platform_definition_of_P256()
    {
        using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        ECParameters explicitCurve = key.ExportExplicitParameters(includePrivateParameters: false);

        Assert.Equal(explicitCurve.Curve.Order, P256Curve.Order.ToArray());
        Assert.Equal(explicitCurve.Curve.Prime, P256Curve.Prime.ToArray());
        Assert.Equal(explicitCurve.Curve.B, P256Curve.B.ToArray());
        Assert.Equal(Order, P256Curve.Order.ToArray());
    }

    [Fact]
    public void A_generated_public_key_round_trips_through_serialization()
    {
        using HpkePrivateKey key = DhkemP256.GenerateKeyPair();
        byte[] encoded = DhkemP256.SerializePublicKey(key.PublicKey);

        Assert.Equal(DhkemP256.PublicKeySize, encoded.Length);
        Assert.Equal(0x04, encoded[0]);
        Assert.Equal(key.PublicKey, DhkemP256.DeserializePublicKey(encoded));
    }

    [Fact]
    public void A_generated_private_key_round_trips_through_serialization()
    {
        using HpkePrivateKey key = DhkemP256.GenerateKeyPair();
        byte[] scalar = DhkemP256.SerializePrivateKey(key);
        using HpkePrivateKey again = DhkemP256.DeserializePrivateKey(scalar);

        Assert.Equal(DhkemP256.PrivateKeySize, scalar.Length);
        Assert.Equal(key.PublicKey, again.PublicKey);
    }

    [Fact]
    public void DeriveKeyPair_is_deterministic_and_GenerateKeyPair_is_not()
    {
        byte[] ikm = RandomNumberGenerator.GetBytes(32);
        using HpkePrivateKey a = DhkemP256.DeriveKeyPair(ikm);
        using HpkePrivateKey b = DhkemP256.DeriveKeyPair(ikm);
        using HpkePrivateKey c = DhkemP256.GenerateKeyPair();
        using HpkePrivateKey d = DhkemP256.GenerateKeyPair();

        Assert.Equal(a.PublicKey, b.PublicKey);
        Assert.NotEqual(c.PublicKey, d.PublicKey);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    [InlineData(66)]
    [InlineData(33)]
    public void DeserializePublicKey_rejects_a_wrong_length(int length)
    {
        using HpkePrivateKey key = DhkemP256.GenerateKeyPair();
        byte[] encoded = new byte[length];
        key.PublicKey.Encoded[..Math.Min(length, 65)].CopyTo(encoded);

        AssertError(HpkeError.InvalidPublicKey, () => DhkemP256.DeserializePublicKey(encoded));
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x02)]
    [InlineData(0x03)]
    [InlineData(0x06)]
    public void DeserializePublicKey_rejects_any_prefix_but_uncompressed(byte prefix)
    {
        using HpkePrivateKey key = DhkemP256.GenerateKeyPair();
        byte[] encoded = key.PublicKey.Encoded.ToArray();
        encoded[0] = prefix;

        AssertError(HpkeError.InvalidPublicKey, () => DhkemP256.DeserializePublicKey(encoded));
    }

    [Fact]
    public void DeserializePublicKey_rejects_a_point_off_the_curve()
    {
        using HpkePrivateKey key = DhkemP256.GenerateKeyPair();
        byte[] encoded = key.PublicKey.Encoded.ToArray();
        encoded[^1] ^= 1;

        AssertError(HpkeError.InvalidPublicKey, () => DhkemP256.DeserializePublicKey(encoded));
    }

    [Fact]
    public void DeserializePublicKey_rejects_the_all_zero_point()
    {
        byte[] encoded = new byte[65];
        encoded[0] = 0x04;

        AssertError(HpkeError.InvalidPublicKey, () => DhkemP256.DeserializePublicKey(encoded));
    }

    [Fact]
    public void DeserializePublicKey_rejects_a_coordinate_not_reduced_mod_p()
    {
        // (x + p, y) satisfies the curve equation mod p but is no canonical encoding. It fits in
        // 32 bytes only for x < 2^256 - p, so take the point with the smallest x.
        BigInteger p = new(P256Curve.Prime, isUnsigned: true, isBigEndian: true);
        BigInteger b = new(P256Curve.B, isUnsigned: true, isBigEndian: true);
        BigInteger x = 0;
        BigInteger y;
        while (true)
        {
            BigInteger rhs = (((x * x * x) - (3 * x) + b) % p + p) % p;
            y = BigInteger.ModPow(rhs, (p + 1) / 4, p); // p = 3 mod 4
            if (y * y % p == rhs)
            {
                break;
            }

            x++;
        }

        byte[] canonical = Encode(x, y);
        byte[] unreduced = Encode(x + p, y);

        Assert.NotNull(DhkemP256.DeserializePublicKey(canonical));
        AssertError(HpkeError.InvalidPublicKey, () => DhkemP256.DeserializePublicKey(unreduced));
    }

    [Fact]
    public void DeserializePrivateKey_accepts_n_minus_1_and_rejects_0_n_and_above()
    {
        byte[] nMinus1 = (byte[])Order.Clone();
        nMinus1[^1]--;
        byte[] nPlus1 = (byte[])Order.Clone();
        nPlus1[^1]++;
        byte[] allOnes = Enumerable.Repeat((byte)0xFF, 32).ToArray();

        using (DhkemP256.DeserializePrivateKey(nMinus1))
        {
        }

        AssertError(HpkeError.InvalidPrivateKey, () => DhkemP256.DeserializePrivateKey(new byte[32]));
        AssertError(HpkeError.InvalidPrivateKey, () => DhkemP256.DeserializePrivateKey(Order));
        AssertError(HpkeError.InvalidPrivateKey, () => DhkemP256.DeserializePrivateKey(nPlus1));
        AssertError(HpkeError.InvalidPrivateKey, () => DhkemP256.DeserializePrivateKey(allOnes));
        AssertError(HpkeError.InvalidPrivateKey, () => DhkemP256.DeserializePrivateKey(new byte[31]));
    }

    [Fact]
    public void Decap_recovers_the_shared_secret_of_Encap()
    {
        using HpkePrivateKey recipient = DhkemP256.GenerateKeyPair();
        (byte[] sharedSecret, byte[] enc) = DhkemP256.Encap(recipient.PublicKey);

        Assert.Equal(DhkemP256.EncapsulatedKeySize, enc.Length);
        Assert.Equal(sharedSecret, DhkemP256.Decap(enc, recipient));
    }

    [Fact]
    public void AuthDecap_agrees_with_AuthEncap_only_for_the_real_sender_key()
    {
        using HpkePrivateKey recipient = DhkemP256.GenerateKeyPair();
        using HpkePrivateKey sender = DhkemP256.GenerateKeyPair();
        using HpkePrivateKey impostor = DhkemP256.GenerateKeyPair();
        (byte[] sharedSecret, byte[] enc) = DhkemP256.AuthEncap(recipient.PublicKey, sender);

        Assert.Equal(sharedSecret, DhkemP256.AuthDecap(enc, recipient, sender.PublicKey));
        Assert.NotEqual(sharedSecret, DhkemP256.AuthDecap(enc, recipient, impostor.PublicKey));
        Assert.NotEqual(sharedSecret, DhkemP256.Decap(enc, recipient));
    }

    [Fact]
    public void A_disposed_private_key_cannot_be_used()
    {
        HpkePrivateKey key = DhkemP256.GenerateKeyPair();
        key.Dispose();

        Assert.Throws<ObjectDisposedException>(() => DhkemP256.SerializePrivateKey(key));
    }

    private static byte[] Encode(BigInteger x, BigInteger y)
    {
        byte[] encoded = new byte[65];
        encoded[0] = 0x04;
        Assert.True(x.TryWriteBytes(encoded.AsSpan(1, 32)[(32 - x.GetByteCount(isUnsigned: true))..], out _, isUnsigned: true, isBigEndian: true));
        Assert.True(y.TryWriteBytes(encoded.AsSpan(33, 32)[(32 - y.GetByteCount(isUnsigned: true))..], out _, isUnsigned: true, isBigEndian: true));
        return encoded;
    }

    private static void AssertError(HpkeError expected, Action action)
    {
        HpkeException e = Assert.Throws<HpkeException>(action);
        Assert.Equal(expected, e.Error);
    }
}
