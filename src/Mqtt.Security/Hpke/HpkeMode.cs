namespace Mqtt.Security.Hpke;

/// <summary>HPKE modes (RFC 9180 section 5, table 1).</summary>
public enum HpkeMode : byte
{
    /// <summary>mode_base: encryption to a public key.</summary>
    Base = 0x00,

    /// <summary>mode_psk: additionally authenticated by a pre-shared key.</summary>
    Psk = 0x01,

    /// <summary>mode_auth: additionally authenticated by the sender's KEM private key.</summary>
    Auth = 0x02,

    /// <summary>mode_auth_psk: authenticated by both a pre-shared key and the sender's KEM private key.</summary>
    AuthPsk = 0x03,
}
