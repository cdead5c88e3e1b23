namespace Mqtt.Security.Hpke;

/// <summary>AEAD identifiers this implementation supports (RFC 9180 section 7.3).</summary>
public enum HpkeAeadId : ushort
{
    /// <summary>AES-128-GCM: Nk = 16, Nn = 12, Nt = 16.</summary>
    Aes128Gcm = 0x0001,

    /// <summary>AES-256-GCM: Nk = 32, Nn = 12, Nt = 16.</summary>
    Aes256Gcm = 0x0002,
}
