using System.Security.Cryptography;

namespace Mqtt.Security.Hpke;

/// <summary>
/// KeySchedule (RFC 9180 section 5.1): from the KEM shared secret, info and the optional PSK
/// to the AEAD key, base_nonce and exporter_secret. Runs once per context, so it may allocate.
/// </summary>
internal sealed class HpkeKeySchedule
{
    private HpkeKeySchedule(byte[] keyScheduleContext, byte[] secret, byte[] key, byte[] baseNonce, byte[] exporterSecret)
    {
        KeyScheduleContext = keyScheduleContext;
        Secret = secret;
        Key = key;
        BaseNonce = baseNonce;
        ExporterSecret = exporterSecret;
    }

    /// <summary>mode || psk_id_hash || info_hash.</summary>
    public byte[] KeyScheduleContext { get; }

    /// <summary>LabeledExtract(shared_secret, "secret", psk).</summary>
    public byte[] Secret { get; }

    /// <summary>The AEAD key, Nk bytes.</summary>
    public byte[] Key { get; }

    /// <summary>The AEAD base nonce, Nn bytes.</summary>
    public byte[] BaseNonce { get; }

    /// <summary>The exporter secret, Nh bytes.</summary>
    public byte[] ExporterSecret { get; }

    /// <summary>Runs the key schedule; empty <paramref name="psk"/> and <paramref name="pskId"/> mean "no PSK".</summary>
    public static HpkeKeySchedule Derive(
        HpkeSuite suite,
        HpkeMode mode,
        ReadOnlySpan<byte> sharedSecret,
        ReadOnlySpan<byte> info,
        ReadOnlySpan<byte> psk,
        ReadOnlySpan<byte> pskId)
    {
        VerifyPskInputs(mode, psk, pskId);
        ReadOnlySpan<byte> suiteId = suite.SuiteId;
        const int Nh = LabeledKdf.HashSize;

        byte[] context = new byte[1 + 2 * Nh];
        context[0] = (byte)mode;
        LabeledKdf.LabeledExtract(suiteId, [], "psk_id_hash"u8, pskId, context.AsSpan(1, Nh));
        LabeledKdf.LabeledExtract(suiteId, [], "info_hash"u8, info, context.AsSpan(1 + Nh, Nh));

        byte[] secret = new byte[Nh];
        LabeledKdf.LabeledExtract(suiteId, sharedSecret, "secret"u8, psk, secret);

        byte[] key = new byte[suite.KeySize];
        LabeledKdf.LabeledExpand(suiteId, secret, "key"u8, context, key);
        byte[] baseNonce = new byte[HpkeSuite.NonceSize];
        LabeledKdf.LabeledExpand(suiteId, secret, "base_nonce"u8, context, baseNonce);
        byte[] exporterSecret = new byte[Nh];
        LabeledKdf.LabeledExpand(suiteId, secret, "exp"u8, context, exporterSecret);

        return new HpkeKeySchedule(context, secret, key, baseNonce, exporterSecret);
    }

    /// <summary>Erases the secrets once a context has copied what it needs.</summary>
    public void Clear()
    {
        CryptographicOperations.ZeroMemory(Secret);
        CryptographicOperations.ZeroMemory(Key);
        CryptographicOperations.ZeroMemory(BaseNonce);
        CryptographicOperations.ZeroMemory(ExporterSecret);
    }

    // VerifyPSKInputs (RFC 9180 section 5.1): a PSK and its id come together, and only in the PSK modes.
    private static void VerifyPskInputs(HpkeMode mode, ReadOnlySpan<byte> psk, ReadOnlySpan<byte> pskId)
    {
        bool gotPsk = !psk.IsEmpty;
        bool gotPskId = !pskId.IsEmpty;
        bool pskMode = mode is HpkeMode.Psk or HpkeMode.AuthPsk;
        if (gotPsk != gotPskId || gotPsk != pskMode)
        {
            HpkeThrow.Error(HpkeError.InconsistentPskInputs);
        }
    }
}
