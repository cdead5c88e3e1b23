using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Mqtt.Security.Hpke;

namespace Mqtt.Security.Credentials;

/// <summary>
/// The sealed form of <c>MQTTCORE-REGISTER</c> (docs/security.md): CONNECT carries only <see cref="Request"/>, the
/// broker answers AUTH 0x18 with a fresh P-256 public key, and the client's AUTH 0x18 carries the version 1
/// registration (<see cref="ScramRegistration"/>) sealed to that key with HPKE base mode. Someone who only records the
/// traffic never sees the verifiers; StoredKey plus one recorded SCRAM login would give them the user's ClientKey.
/// </summary>
/// <remarks>
/// The sealed Authentication Data is <c>enc (65 bytes) || ciphertext || tag (16 bytes)</c>, suite
/// DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, info <see cref="Info"/>, empty aad: DHKEM already binds the
/// broker's key and enc into the shared secret, and the key serves one exchange only, so nothing else needs binding.
/// The base mode authenticates neither side: an active man in the middle can substitute its own key (TLS stops that).
/// </remarks>
public static class SealedScramRegistration
{
    /// <summary>The format version; a CONNECT whose Authentication Data is exactly this byte asks for the sealed form.</summary>
    public const byte FormatVersion = 2;

    /// <summary>Bytes in the broker's public key, the Authentication Data of its AUTH 0x18.</summary>
    public const int BrokerKeySize = DhkemP256.PublicKeySize;

    /// <summary>
    /// Longest sealed data accepted: enc, tag and the largest version 1 registration (a 64-character name of 4-byte
    /// characters, two verifiers of 512 bytes) fit with room to spare; anything longer is refused unopened.
    /// </summary>
    public const int MaximumSealedLength = 4096;

    private const int Overhead = DhkemP256.EncapsulatedKeySize + HpkeSuite.TagSize;

    private static readonly byte[] RequestBytes = [FormatVersion];

    /// <summary>The HPKE suite of the sealed form.</summary>
    public static HpkeSuite Suite => HpkeSuite.DhkemP256HkdfSha256Aes256Gcm;

    /// <summary>The HPKE info: keys derived for this exchange serve nothing else.</summary>
    public static ReadOnlySpan<byte> Info => "MQTTCORE-REGISTER v2"u8;

    /// <summary>The Authentication Data of a CONNECT asking for the sealed form (one byte, <see cref="FormatVersion"/>).</summary>
    public static ReadOnlyMemory<byte> Request => RequestBytes;

    /// <summary>
    /// Whether CONNECT's Authentication Data asks for the sealed form. A version 1 registration starts with 0x01 and
    /// is at least 4 bytes, so the two cannot be mistaken for each other.
    /// </summary>
    /// <param name="connectData">CONNECT's Authentication Data.</param>
    /// <returns>True for exactly one byte <see cref="FormatVersion"/>.</returns>
    public static bool IsRequest(ReadOnlySpan<byte> connectData) => connectData.Length == 1 && connectData[0] == FormatVersion;

    /// <summary>Seals a registration to the broker's key (the client's side).</summary>
    /// <param name="credentials">The name and verifiers to register.</param>
    /// <param name="brokerKey">The Authentication Data of the broker's AUTH 0x18.</param>
    /// <returns>The Authentication Data of the client's AUTH 0x18: enc || ciphertext || tag.</returns>
    /// <exception cref="HpkeException"><see cref="HpkeError.InvalidPublicKey"/> when <paramref name="brokerKey"/> is not a valid P-256 point.</exception>
    public static byte[] Seal(UserCredentials credentials, ReadOnlySpan<byte> brokerKey)
    {
        HpkePublicKey recipient = DhkemP256.DeserializePublicKey(brokerKey);
        byte[] plaintext = ScramRegistration.Encode(credentials);
        try
        {
            (byte[] enc, byte[] ciphertext) = Suite.SealBase(recipient, Info, [], plaintext);
            return [.. enc, .. ciphertext];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>Opens and decodes a sealed registration (the broker's side), as strictly as <see cref="ScramRegistration.TryDecode"/>.</summary>
    /// <param name="sealedData">The Authentication Data of the client's AUTH 0x18.</param>
    /// <param name="brokerKey">The private key whose public half the broker sent in this exchange.</param>
    /// <param name="credentials">The credentials to register, on success.</param>
    /// <param name="problem">What is wrong, on failure; safe to log (never echoes the data).</param>
    /// <returns>True when the data opens under the key and holds a valid registration.</returns>
    public static bool TryOpen(ReadOnlySpan<byte> sealedData, HpkePrivateKey brokerKey, [NotNullWhen(true)] out UserCredentials? credentials, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(brokerKey);
        credentials = null;
        if (sealedData.Length is < Overhead or > MaximumSealedLength)
        {
            problem = "sealed registration of the wrong size";
            return false;
        }

        byte[] plaintext;
        try
        {
            plaintext = Suite.OpenBase(sealedData[..DhkemP256.EncapsulatedKeySize], brokerKey, Info, [], sealedData[DhkemP256.EncapsulatedKeySize..]);
        }
        catch (HpkeException)
        {
            problem = "sealed registration does not open under this exchange's key";
            return false;
        }

        try
        {
            return ScramRegistration.TryDecode(plaintext, out credentials, out problem);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
