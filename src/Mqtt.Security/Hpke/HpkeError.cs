namespace Mqtt.Security.Hpke;

/// <summary>Why an HPKE operation failed (RFC 9180 section 8.2, "Errors").</summary>
public enum HpkeError
{
    /// <summary>A serialized public key (a recipient, sender or encapsulated key) is malformed or not a point on P-256.</summary>
    InvalidPublicKey = 1,

    /// <summary>A serialized private key is not a 32-byte scalar in [1, n-1].</summary>
    InvalidPrivateKey,

    /// <summary>The AEAD rejected a ciphertext: wrong key, wrong associated data, wrong sequence number, tampered or truncated input.</summary>
    OpenFailed,

    /// <summary>The context's sequence number reached its limit; no more messages may be sealed or opened with it.</summary>
    MessageLimitReached,

    /// <summary>DeriveKeyPair found no valid scalar in 256 candidates (RFC 9180 section 7.1.3).</summary>
    DeriveKeyPairFailed,

    /// <summary>The Diffie-Hellman step of Encap or AuthEncap failed.</summary>
    EncapFailed,

    /// <summary>The Diffie-Hellman step of Decap or AuthDecap failed.</summary>
    DecapFailed,

    /// <summary>The PSK and PSK id do not fit the mode: both or neither must be given, and only in the PSK modes (RFC 9180 section 5.1).</summary>
    InconsistentPskInputs,
}
