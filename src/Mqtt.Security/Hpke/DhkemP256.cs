using System.Security.Cryptography;

namespace Mqtt.Security.Hpke;

/// <summary>
/// DHKEM(P-256, HKDF-SHA256), kem_id 0x0010 (RFC 9180 sections 4.1 and 7.1):
/// key generation, (de)serialization, Encap/Decap and AuthEncap/AuthDecap.
/// </summary>
public static class DhkemP256
{
    /// <summary>Nsecret: bytes in a KEM shared secret.</summary>
    public const int SharedSecretSize = 32;

    /// <summary>Nenc: bytes in an encapsulated key.</summary>
    public const int EncapsulatedKeySize = P256Curve.PointSize;

    /// <summary>Npk: bytes in a serialized public key.</summary>
    public const int PublicKeySize = P256Curve.PointSize;

    /// <summary>Nsk: bytes in a serialized private key.</summary>
    public const int PrivateKeySize = P256Curve.ScalarSize;

    private const int MaxDeriveKeyPairCounter = 255;

    /// <summary>suite_id = "KEM" || I2OSP(kem_id, 2) (RFC 9180 section 4.1).</summary>
    private static ReadOnlySpan<byte> SuiteId => [(byte)'K', (byte)'E', (byte)'M', 0x00, 0x10];

    /// <summary>GenerateKeyPair(): a fresh random key pair.</summary>
    /// <returns>The key pair; the caller disposes it.</returns>
    public static HpkePrivateKey GenerateKeyPair() =>
        new(ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>
    /// DeriveKeyPair(ikm): a key pair determined by <paramref name="ikm"/> (RFC 9180 section 7.1.3,
    /// rejection sampling with bitmask 0xff). ikm SHOULD carry at least 32 bytes of entropy.
    /// </summary>
    /// <param name="ikm">Input keying material.</param>
    /// <returns>The key pair; the caller disposes it.</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.DeriveKeyPairFailed"/> if no candidate was in range.</exception>
    public static HpkePrivateKey DeriveKeyPair(ReadOnlySpan<byte> ikm)
    {
        Span<byte> dkpPrk = stackalloc byte[LabeledKdf.HashSize];
        Span<byte> counter = stackalloc byte[1];
        Span<byte> candidate = stackalloc byte[P256Curve.ScalarSize];
        try
        {
            LabeledKdf.LabeledExtract(SuiteId, [], "dkp_prk"u8, ikm, dkpPrk);
            for (int i = 0; i <= MaxDeriveKeyPairCounter; i++)
            {
                counter[0] = (byte)i;
                LabeledKdf.LabeledExpand(SuiteId, dkpPrk, "candidate"u8, counter, candidate);
                candidate[0] &= 0xFF; // the P-256 bitmask keeps every bit
                if (P256Curve.IsValidScalar(candidate))
                {
                    return FromScalar(candidate, HpkeError.DeriveKeyPairFailed);
                }
            }

            throw new HpkeException(HpkeError.DeriveKeyPairFailed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dkpPrk);
            CryptographicOperations.ZeroMemory(candidate);
        }
    }

    /// <summary>SerializePublicKey(pkX): 0x04 || X || Y, 65 bytes (RFC 9180 section 7.1.1).</summary>
    /// <param name="publicKey">The key.</param>
    /// <returns>A new array.</returns>
    public static byte[] SerializePublicKey(HpkePublicKey publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        return publicKey.Encoded.ToArray();
    }

    /// <summary>
    /// DeserializePublicKey(pkXm): parses and validates an uncompressed P-256 point
    /// (RFC 9180 sections 7.1.1 and 7.1.4).
    /// </summary>
    /// <param name="encoded">65 bytes, 0x04 || X || Y.</param>
    /// <returns>The validated key.</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.InvalidPublicKey"/> for a wrong length, prefix or a point off the curve.</exception>
    public static HpkePublicKey DeserializePublicKey(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length != P256Curve.PointSize
            || encoded[0] != P256Curve.Uncompressed
            || !P256Curve.IsOnCurve(encoded.Slice(1, P256Curve.ScalarSize), encoded[(1 + P256Curve.ScalarSize)..]))
        {
            HpkeThrow.Error(HpkeError.InvalidPublicKey);
        }

        var key = new HpkePublicKey(encoded.ToArray());

        // The platform validates again on import (OpenSSL: "point is not on curve").
        try
        {
            using ECDiffieHellman imported = ImportPublicKey(key);
        }
        catch (CryptographicException e)
        {
            HpkeThrow.Error(HpkeError.InvalidPublicKey, e);
        }

        return key;
    }

    /// <summary>SerializePrivateKey(skX): the 32-byte big-endian scalar (RFC 9180 section 7.1.2).</summary>
    /// <param name="privateKey">The key.</param>
    /// <returns>A new array holding secret material; the caller should clear it after use.</returns>
    public static byte[] SerializePrivateKey(HpkePrivateKey privateKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        byte[] scalar = new byte[P256Curve.ScalarSize];
        privateKey.WriteScalar(scalar);
        return scalar;
    }

    /// <summary>DeserializePrivateKey(skXm): a key pair from a 32-byte scalar in [1, n-1] (RFC 9180 section 7.1.2).</summary>
    /// <param name="scalar">32 big-endian bytes.</param>
    /// <returns>The key pair; the caller disposes it.</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.InvalidPrivateKey"/> for a wrong length or a scalar out of range.</exception>
    public static HpkePrivateKey DeserializePrivateKey(ReadOnlySpan<byte> scalar)
    {
        if (!P256Curve.IsValidScalar(scalar))
        {
            HpkeThrow.Error(HpkeError.InvalidPrivateKey);
        }

        return FromScalar(scalar, HpkeError.InvalidPrivateKey);
    }

    /// <summary>Encap(pkR): a fresh shared secret and its encapsulation for the holder of skR (RFC 9180 section 4.1).</summary>
    /// <param name="recipient">pkR.</param>
    /// <returns>shared_secret (32 bytes) and enc (65 bytes).</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.EncapFailed"/> if the platform's DH fails.</exception>
    public static (byte[] SharedSecret, byte[] Enc) Encap(HpkePublicKey recipient)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        using HpkePrivateKey ephemeral = GenerateKeyPair();
        return Encap(recipient, ephemeral);
    }

    /// <summary>Encap with a given ephemeral key, for the RFC 9180 test vectors.</summary>
    internal static (byte[] SharedSecret, byte[] Enc) Encap(HpkePublicKey recipient, HpkePrivateKey ephemeral)
    {
        Span<byte> dh = stackalloc byte[P256Curve.ScalarSize];
        try
        {
            Dh(ephemeral, recipient, dh, HpkeError.EncapFailed);
            byte[] enc = ephemeral.PublicKey.Encoded.ToArray();
            return (ExtractAndExpand(dh, enc, recipient.Encoded, []), enc);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dh);
        }
    }

    /// <summary>Decap(enc, skR): the shared secret encapsulated in <paramref name="enc"/> (RFC 9180 section 4.1).</summary>
    /// <param name="enc">The encapsulated key, as received.</param>
    /// <param name="recipient">skR.</param>
    /// <returns>shared_secret, 32 bytes.</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.InvalidPublicKey"/> for a malformed enc; <see cref="HpkeError.DecapFailed"/> if the platform's DH fails.</exception>
    public static byte[] Decap(ReadOnlySpan<byte> enc, HpkePrivateKey recipient)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        HpkePublicKey ephemeral = DeserializePublicKey(enc);
        Span<byte> dh = stackalloc byte[P256Curve.ScalarSize];
        try
        {
            Dh(recipient, ephemeral, dh, HpkeError.DecapFailed);
            return ExtractAndExpand(dh, enc, recipient.PublicKey.Encoded, []);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dh);
        }
    }

    /// <summary>
    /// AuthEncap(pkR, skS): like <see cref="Encap(HpkePublicKey)"/>, but the shared secret also
    /// depends on the sender's static key, so only the holder of skS could have produced it.
    /// </summary>
    /// <param name="recipient">pkR.</param>
    /// <param name="sender">skS.</param>
    /// <returns>shared_secret (32 bytes) and enc (65 bytes).</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.EncapFailed"/> if the platform's DH fails.</exception>
    public static (byte[] SharedSecret, byte[] Enc) AuthEncap(HpkePublicKey recipient, HpkePrivateKey sender)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(sender);
        using HpkePrivateKey ephemeral = GenerateKeyPair();
        return AuthEncap(recipient, sender, ephemeral);
    }

    /// <summary>AuthEncap with a given ephemeral key, for the RFC 9180 test vectors.</summary>
    internal static (byte[] SharedSecret, byte[] Enc) AuthEncap(HpkePublicKey recipient, HpkePrivateKey sender, HpkePrivateKey ephemeral)
    {
        // dh = DH(skE, pkR) || DH(skS, pkR)
        Span<byte> dh = stackalloc byte[2 * P256Curve.ScalarSize];
        try
        {
            Dh(ephemeral, recipient, dh[..P256Curve.ScalarSize], HpkeError.EncapFailed);
            Dh(sender, recipient, dh[P256Curve.ScalarSize..], HpkeError.EncapFailed);
            byte[] enc = ephemeral.PublicKey.Encoded.ToArray();
            return (ExtractAndExpand(dh, enc, recipient.Encoded, sender.PublicKey.Encoded), enc);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dh);
        }
    }

    /// <summary>AuthDecap(enc, skR, pkS): the shared secret of <see cref="AuthEncap(HpkePublicKey, HpkePrivateKey)"/>.</summary>
    /// <param name="enc">The encapsulated key, as received.</param>
    /// <param name="recipient">skR.</param>
    /// <param name="sender">pkS, the key the sender is expected to hold.</param>
    /// <returns>shared_secret, 32 bytes; a different value if the sender did not hold skS.</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.InvalidPublicKey"/> for a malformed enc; <see cref="HpkeError.DecapFailed"/> if the platform's DH fails.</exception>
    public static byte[] AuthDecap(ReadOnlySpan<byte> enc, HpkePrivateKey recipient, HpkePublicKey sender)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(sender);
        HpkePublicKey ephemeral = DeserializePublicKey(enc);

        // dh = DH(skR, pkE) || DH(skR, pkS)
        Span<byte> dh = stackalloc byte[2 * P256Curve.ScalarSize];
        try
        {
            Dh(recipient, ephemeral, dh[..P256Curve.ScalarSize], HpkeError.DecapFailed);
            Dh(recipient, sender, dh[P256Curve.ScalarSize..], HpkeError.DecapFailed);
            return ExtractAndExpand(dh, enc, recipient.PublicKey.Encoded, sender.Encoded);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dh);
        }
    }

    /// <summary>
    /// ExtractAndExpand(dh, kem_context) with kem_context = enc || pkRm [|| pkSm]:
    /// eae_prk = LabeledExtract("", "eae_prk", dh); LabeledExpand(eae_prk, "shared_secret", kem_context, Nsecret).
    /// </summary>
    private static byte[] ExtractAndExpand(
        ReadOnlySpan<byte> dh, ReadOnlySpan<byte> enc, ReadOnlySpan<byte> recipient, ReadOnlySpan<byte> sender)
    {
        Span<byte> eaePrk = stackalloc byte[LabeledKdf.HashSize];
        Span<byte> kemContext = stackalloc byte[3 * P256Curve.PointSize];
        int length = enc.Length + recipient.Length + sender.Length;
        enc.CopyTo(kemContext);
        recipient.CopyTo(kemContext[enc.Length..]);
        sender.CopyTo(kemContext[(enc.Length + recipient.Length)..]);

        byte[] sharedSecret = new byte[SharedSecretSize];
        try
        {
            LabeledKdf.LabeledExtract(SuiteId, [], "eae_prk"u8, dh, eaePrk);
            LabeledKdf.LabeledExpand(SuiteId, eaePrk, "shared_secret"u8, kemContext[..length], sharedSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(eaePrk);
        }

        return sharedSecret;
    }

    /// <summary>DH(sk, pk): the X coordinate of sk * pk (RFC 9180 section 7.1, Ndh = 32).</summary>
    private static void Dh(HpkePrivateKey privateKey, HpkePublicKey publicKey, Span<byte> output, HpkeError error)
    {
        ECDiffieHellman own = privateKey.Key;
        byte[]? secret = null;
        try
        {
            using ECDiffieHellman peer = ImportPublicKey(publicKey);
            using ECDiffieHellmanPublicKey peerKey = peer.PublicKey;
            secret = own.DeriveRawSecretAgreement(peerKey);
            if (secret.Length != P256Curve.ScalarSize)
            {
                HpkeThrow.Error(error);
            }

            secret.CopyTo(output);
        }
        catch (CryptographicException e) when (e is not HpkeException)
        {
            HpkeThrow.Error(error, e);
        }
        finally
        {
            if (secret is not null)
            {
                CryptographicOperations.ZeroMemory(secret);
            }
        }
    }

    private static ECDiffieHellman ImportPublicKey(HpkePublicKey key)
    {
        var parameters = new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = key.X.ToArray(), Y = key.Y.ToArray() },
        };
        var imported = ECDiffieHellman.Create();
        try
        {
            imported.ImportParameters(parameters);
            return imported;
        }
        catch
        {
            imported.Dispose();
            throw;
        }
    }

    /// <summary>
    /// pk(sk): imports the scalar alone and lets the platform compute Q = d * G
    /// (checked on Linux/OpenSSL, where ImportParameters with only D fills in Q).
    /// </summary>
    private static HpkePrivateKey FromScalar(ReadOnlySpan<byte> scalar, HpkeError error)
    {
        var parameters = new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            D = scalar.ToArray(),
        };
        var key = ECDiffieHellman.Create();
        try
        {
            key.ImportParameters(parameters);
            return new HpkePrivateKey(key);
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            throw new HpkeException(error, e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }
    }
}
