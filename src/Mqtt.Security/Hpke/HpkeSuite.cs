using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Mqtt.Security.Hpke;

/// <summary>
/// An HPKE cipher suite: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256 and AES-128-GCM or AES-256-GCM,
/// with the context setup functions of RFC 9180 section 5.1 and the single-shot APIs of section 6.
/// Instances are immutable and thread-safe; the contexts they return are not.
/// </summary>
public sealed class HpkeSuite
{
    /// <summary>Nn: bytes in an AEAD nonce, for both AES-GCM variants.</summary>
    public const int NonceSize = 12;

    /// <summary>Nt: bytes in an AEAD tag, for both AES-GCM variants; a ciphertext is this much longer than its plaintext.</summary>
    public const int TagSize = 16;

    private readonly byte[] suiteId;

    private HpkeSuite(HpkeAeadId aead, int keySize)
    {
        Aead = aead;
        KeySize = keySize;

        // suite_id = "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2) (RFC 9180 section 5.1)
        suiteId =
        [
            (byte)'H', (byte)'P', (byte)'K', (byte)'E',
            (byte)((ushort)Kem >> 8), (byte)Kem,
            (byte)((ushort)Kdf >> 8), (byte)Kdf,
            (byte)((ushort)aead >> 8), (byte)aead,
        ];
    }

    /// <summary>DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM: the suite of the RFC 9180 A.3 vectors.</summary>
    public static HpkeSuite DhkemP256HkdfSha256Aes128Gcm { get; } = new(HpkeAeadId.Aes128Gcm, 16);

    /// <summary>DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM: the suite SECURITY.md recommends.</summary>
    public static HpkeSuite DhkemP256HkdfSha256Aes256Gcm { get; } = new(HpkeAeadId.Aes256Gcm, 32);

    /// <summary>The KEM, always DHKEM(P-256, HKDF-SHA256).</summary>
    public HpkeKemId Kem => HpkeKemId.DhkemP256HkdfSha256;

    /// <summary>The KDF, always HKDF-SHA256.</summary>
    public HpkeKdfId Kdf => HpkeKdfId.HkdfSha256;

    /// <summary>The AEAD.</summary>
    public HpkeAeadId Aead { get; }

    /// <summary>Nk: bytes in the AEAD key.</summary>
    public int KeySize { get; }

    /// <summary>The suite_id that labels every KDF call of the key schedule.</summary>
    internal ReadOnlySpan<byte> SuiteId => suiteId;

    /// <summary>Finds the suite for a set of algorithm identifiers, e.g. read from a key announcement.</summary>
    /// <param name="kem">kem_id.</param>
    /// <param name="kdf">kdf_id.</param>
    /// <param name="aead">aead_id.</param>
    /// <param name="suite">The suite, when supported.</param>
    /// <returns>False for any combination this implementation does not support.</returns>
    public static bool TryGet(HpkeKemId kem, HpkeKdfId kdf, HpkeAeadId aead, [NotNullWhen(true)] out HpkeSuite? suite)
    {
        suite = (kem, kdf, aead) switch
        {
            (HpkeKemId.DhkemP256HkdfSha256, HpkeKdfId.HkdfSha256, HpkeAeadId.Aes128Gcm) => DhkemP256HkdfSha256Aes128Gcm,
            (HpkeKemId.DhkemP256HkdfSha256, HpkeKdfId.HkdfSha256, HpkeAeadId.Aes256Gcm) => DhkemP256HkdfSha256Aes256Gcm,
            _ => null,
        };
        return suite is not null;
    }

    /// <summary>SetupBaseS(pkR, info): encryption to a public key (RFC 9180 section 5.1.1).</summary>
    /// <param name="recipient">pkR.</param>
    /// <param name="info">Application context bound into the keys.</param>
    /// <returns>enc, to send to the recipient, and the sender context.</returns>
    public (byte[] Enc, HpkeSenderContext Context) SetupBaseS(HpkePublicKey recipient, ReadOnlySpan<byte> info) =>
        SetupS(HpkeMode.Base, recipient, info, [], [], sender: null, ephemeral: null);

    /// <summary>SetupBaseR(enc, skR, info) (RFC 9180 section 5.1.1).</summary>
    /// <param name="enc">The encapsulated key, as received.</param>
    /// <param name="recipient">skR.</param>
    /// <param name="info">The info the sender used.</param>
    /// <returns>The recipient context.</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.InvalidPublicKey"/> for a malformed enc.</exception>
    public HpkeRecipientContext SetupBaseR(ReadOnlySpan<byte> enc, HpkePrivateKey recipient, ReadOnlySpan<byte> info) =>
        SetupR(HpkeMode.Base, enc, recipient, info, [], [], sender: null);

    /// <summary>SetupPSKS(pkR, info, psk, psk_id): encryption also bound to a pre-shared key (RFC 9180 section 5.1.2).</summary>
    /// <param name="recipient">pkR.</param>
    /// <param name="info">Application context bound into the keys.</param>
    /// <param name="psk">The pre-shared key; SHOULD have at least 32 bytes of entropy.</param>
    /// <param name="pskId">Names the PSK; must not be empty.</param>
    /// <returns>enc and the sender context.</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.InconsistentPskInputs"/> if either PSK input is empty.</exception>
    public (byte[] Enc, HpkeSenderContext Context) SetupPskS(
        HpkePublicKey recipient, ReadOnlySpan<byte> info, ReadOnlySpan<byte> psk, ReadOnlySpan<byte> pskId) =>
        SetupS(HpkeMode.Psk, recipient, info, psk, pskId, sender: null, ephemeral: null);

    /// <summary>SetupPSKR(enc, skR, info, psk, psk_id) (RFC 9180 section 5.1.2).</summary>
    /// <param name="enc">The encapsulated key, as received.</param>
    /// <param name="recipient">skR.</param>
    /// <param name="info">The info the sender used.</param>
    /// <param name="psk">The pre-shared key.</param>
    /// <param name="pskId">Names the PSK.</param>
    /// <returns>The recipient context.</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.InvalidPublicKey"/> or <see cref="HpkeError.InconsistentPskInputs"/>.</exception>
    public HpkeRecipientContext SetupPskR(
        ReadOnlySpan<byte> enc, HpkePrivateKey recipient, ReadOnlySpan<byte> info, ReadOnlySpan<byte> psk, ReadOnlySpan<byte> pskId) =>
        SetupR(HpkeMode.Psk, enc, recipient, info, psk, pskId, sender: null);

    /// <summary>SetupAuthS(pkR, info, skS): encryption authenticated by the sender's key (RFC 9180 section 5.1.3).</summary>
    /// <param name="recipient">pkR.</param>
    /// <param name="info">Application context bound into the keys.</param>
    /// <param name="sender">skS.</param>
    /// <returns>enc and the sender context.</returns>
    public (byte[] Enc, HpkeSenderContext Context) SetupAuthS(
        HpkePublicKey recipient, ReadOnlySpan<byte> info, HpkePrivateKey sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        return SetupS(HpkeMode.Auth, recipient, info, [], [], sender, ephemeral: null);
    }

    /// <summary>SetupAuthR(enc, skR, info, pkS) (RFC 9180 section 5.1.3).</summary>
    /// <param name="enc">The encapsulated key, as received.</param>
    /// <param name="recipient">skR.</param>
    /// <param name="info">The info the sender used.</param>
    /// <param name="sender">pkS, the key the sender must hold; with any other, every Open fails.</param>
    /// <returns>The recipient context.</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.InvalidPublicKey"/> for a malformed enc.</exception>
    public HpkeRecipientContext SetupAuthR(
        ReadOnlySpan<byte> enc, HpkePrivateKey recipient, ReadOnlySpan<byte> info, HpkePublicKey sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        return SetupR(HpkeMode.Auth, enc, recipient, info, [], [], sender);
    }

    /// <summary>SetupAuthPSKS(pkR, info, psk, psk_id, skS) (RFC 9180 section 5.1.4).</summary>
    /// <param name="recipient">pkR.</param>
    /// <param name="info">Application context bound into the keys.</param>
    /// <param name="psk">The pre-shared key.</param>
    /// <param name="pskId">Names the PSK.</param>
    /// <param name="sender">skS.</param>
    /// <returns>enc and the sender context.</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.InconsistentPskInputs"/> if either PSK input is empty.</exception>
    public (byte[] Enc, HpkeSenderContext Context) SetupAuthPskS(
        HpkePublicKey recipient, ReadOnlySpan<byte> info, ReadOnlySpan<byte> psk, ReadOnlySpan<byte> pskId, HpkePrivateKey sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        return SetupS(HpkeMode.AuthPsk, recipient, info, psk, pskId, sender, ephemeral: null);
    }

    /// <summary>SetupAuthPSKR(enc, skR, info, psk, psk_id, pkS) (RFC 9180 section 5.1.4).</summary>
    /// <param name="enc">The encapsulated key, as received.</param>
    /// <param name="recipient">skR.</param>
    /// <param name="info">The info the sender used.</param>
    /// <param name="psk">The pre-shared key.</param>
    /// <param name="pskId">Names the PSK.</param>
    /// <param name="sender">pkS.</param>
    /// <returns>The recipient context.</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.InvalidPublicKey"/> or <see cref="HpkeError.InconsistentPskInputs"/>.</exception>
    public HpkeRecipientContext SetupAuthPskR(
        ReadOnlySpan<byte> enc,
        HpkePrivateKey recipient,
        ReadOnlySpan<byte> info,
        ReadOnlySpan<byte> psk,
        ReadOnlySpan<byte> pskId,
        HpkePublicKey sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        return SetupR(HpkeMode.AuthPsk, enc, recipient, info, psk, pskId, sender);
    }

    /// <summary>SealBase(pkR, info, aad, pt): one message to a public key (RFC 9180 section 6.1).</summary>
    /// <param name="recipient">pkR.</param>
    /// <param name="info">Application context bound into the keys.</param>
    /// <param name="aad">Associated data.</param>
    /// <param name="plaintext">The message.</param>
    /// <returns>enc and ciphertext || tag.</returns>
    public (byte[] Enc, byte[] Ciphertext) SealBase(
        HpkePublicKey recipient, ReadOnlySpan<byte> info, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        (byte[] enc, HpkeSenderContext context) = SetupBaseS(recipient, info);
        using (context)
        {
            return (enc, context.Seal(aad, plaintext));
        }
    }

    /// <summary>OpenBase(enc, skR, info, aad, ct) (RFC 9180 section 6.1).</summary>
    /// <param name="enc">The encapsulated key, as received.</param>
    /// <param name="recipient">skR.</param>
    /// <param name="info">The info the sender used.</param>
    /// <param name="aad">The associated data the sender used.</param>
    /// <param name="ciphertext">ciphertext || tag, as received.</param>
    /// <returns>The message.</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.InvalidPublicKey"/> or <see cref="HpkeError.OpenFailed"/>.</exception>
    public byte[] OpenBase(
        ReadOnlySpan<byte> enc, HpkePrivateKey recipient, ReadOnlySpan<byte> info, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext)
    {
        using HpkeRecipientContext context = SetupBaseR(enc, recipient, info);
        return context.Open(aad, ciphertext);
    }

    /// <summary>SealAuth(pkR, info, aad, pt, skS): one message authenticated by the sender's key (RFC 9180 section 6.1).</summary>
    /// <param name="recipient">pkR.</param>
    /// <param name="info">Application context bound into the keys.</param>
    /// <param name="aad">Associated data.</param>
    /// <param name="plaintext">The message.</param>
    /// <param name="sender">skS.</param>
    /// <returns>enc and ciphertext || tag.</returns>
    public (byte[] Enc, byte[] Ciphertext) SealAuth(
        HpkePublicKey recipient, ReadOnlySpan<byte> info, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext, HpkePrivateKey sender)
    {
        (byte[] enc, HpkeSenderContext context) = SetupAuthS(recipient, info, sender);
        using (context)
        {
            return (enc, context.Seal(aad, plaintext));
        }
    }

    /// <summary>OpenAuth(enc, skR, info, aad, ct, pkS) (RFC 9180 section 6.1).</summary>
    /// <param name="enc">The encapsulated key, as received.</param>
    /// <param name="recipient">skR.</param>
    /// <param name="info">The info the sender used.</param>
    /// <param name="aad">The associated data the sender used.</param>
    /// <param name="ciphertext">ciphertext || tag, as received.</param>
    /// <param name="sender">pkS.</param>
    /// <returns>The message.</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.InvalidPublicKey"/> or <see cref="HpkeError.OpenFailed"/>.</exception>
    public byte[] OpenAuth(
        ReadOnlySpan<byte> enc,
        HpkePrivateKey recipient,
        ReadOnlySpan<byte> info,
        ReadOnlySpan<byte> aad,
        ReadOnlySpan<byte> ciphertext,
        HpkePublicKey sender)
    {
        using HpkeRecipientContext context = SetupAuthR(enc, recipient, info, sender);
        return context.Open(aad, ciphertext);
    }

    /// <summary>
    /// The sender side of every mode. <paramref name="ephemeral"/> is null except for the RFC 9180
    /// test vectors, which fix skE.
    /// </summary>
    internal (byte[] Enc, HpkeSenderContext Context) SetupS(
        HpkeMode mode,
        HpkePublicKey recipient,
        ReadOnlySpan<byte> info,
        ReadOnlySpan<byte> psk,
        ReadOnlySpan<byte> pskId,
        HpkePrivateKey? sender,
        HpkePrivateKey? ephemeral)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        (byte[] sharedSecret, byte[] enc) = (sender, ephemeral) switch
        {
            (null, null) => DhkemP256.Encap(recipient),
            (null, _) => DhkemP256.Encap(recipient, ephemeral),
            (_, null) => DhkemP256.AuthEncap(recipient, sender),
            _ => DhkemP256.AuthEncap(recipient, sender, ephemeral),
        };
        HpkeKeySchedule? schedule = null;
        try
        {
            schedule = HpkeKeySchedule.Derive(this, mode, sharedSecret, info, psk, pskId);
            return (enc, new HpkeSenderContext(this, schedule));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sharedSecret);
            schedule?.Clear();
        }
    }

    /// <summary>The recipient side of every mode; <paramref name="sender"/> is pkS in the auth modes.</summary>
    internal HpkeRecipientContext SetupR(
        HpkeMode mode,
        ReadOnlySpan<byte> enc,
        HpkePrivateKey recipient,
        ReadOnlySpan<byte> info,
        ReadOnlySpan<byte> psk,
        ReadOnlySpan<byte> pskId,
        HpkePublicKey? sender)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        byte[] sharedSecret = sender is null
            ? DhkemP256.Decap(enc, recipient)
            : DhkemP256.AuthDecap(enc, recipient, sender);
        HpkeKeySchedule? schedule = null;
        try
        {
            schedule = HpkeKeySchedule.Derive(this, mode, sharedSecret, info, psk, pskId);
            return new HpkeRecipientContext(this, schedule);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sharedSecret);
            schedule?.Clear();
        }
    }
}
