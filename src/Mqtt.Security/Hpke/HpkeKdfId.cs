namespace Mqtt.Security.Hpke;

/// <summary>KDF identifiers this implementation supports (RFC 9180 section 7.2).</summary>
public enum HpkeKdfId : ushort
{
    /// <summary>HKDF-SHA256.</summary>
    HkdfSha256 = 0x0001,
}
