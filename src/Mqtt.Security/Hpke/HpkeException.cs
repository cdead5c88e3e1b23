using System.Security.Cryptography;

namespace Mqtt.Security.Hpke;

/// <summary>
/// The one exception HPKE throws for bad keys, bad ciphertexts and exhausted contexts.
/// Hostile input never surfaces as another exception type; misuse by the caller (null
/// arguments, too small output buffers, disposed objects) still throws the usual argument exceptions.
/// </summary>
public sealed class HpkeException : CryptographicException
{
    /// <summary>Creates an exception for <paramref name="error"/>.</summary>
    /// <param name="error">What failed.</param>
    public HpkeException(HpkeError error)
        : base(Describe(error))
    {
        Error = error;
    }

    /// <summary>Creates an exception for <paramref name="error"/> caused by a platform exception.</summary>
    /// <param name="error">What failed.</param>
    /// <param name="innerException">The platform exception behind it.</param>
    public HpkeException(HpkeError error, Exception innerException)
        : base(Describe(error), innerException)
    {
        Error = error;
    }

    /// <summary>What failed.</summary>
    public HpkeError Error { get; }

    private static string Describe(HpkeError error) => error switch
    {
        HpkeError.InvalidPublicKey => "The public key is not a valid uncompressed P-256 point.",
        HpkeError.InvalidPrivateKey => "The private key is not a valid P-256 scalar.",
        HpkeError.OpenFailed => "The ciphertext could not be authenticated.",
        HpkeError.MessageLimitReached => "The HPKE context has reached its message limit.",
        HpkeError.DeriveKeyPairFailed => "No valid private key could be derived from the input keying material.",
        HpkeError.EncapFailed => "Key encapsulation failed.",
        HpkeError.DecapFailed => "Key decapsulation failed.",
        HpkeError.InconsistentPskInputs => "The PSK inputs do not match the HPKE mode.",
        _ => "HPKE operation failed.",
    };
}
