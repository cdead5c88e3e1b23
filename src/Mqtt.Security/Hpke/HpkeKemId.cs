namespace Mqtt.Security.Hpke;

/// <summary>KEM identifiers this implementation supports (RFC 9180 section 7.1).</summary>
public enum HpkeKemId : ushort
{
    /// <summary>DHKEM(P-256, HKDF-SHA256).</summary>
    DhkemP256HkdfSha256 = 0x0010,
}
