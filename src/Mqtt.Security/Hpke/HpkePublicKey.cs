namespace Mqtt.Security.Hpke;

/// <summary>
/// A validated DHKEM(P-256) public key (pkX in RFC 9180). Immutable; obtain one from
/// <see cref="DhkemP256.DeserializePublicKey"/> or <see cref="HpkePrivateKey.PublicKey"/>.
/// </summary>
public sealed class HpkePublicKey : IEquatable<HpkePublicKey>
{
    private readonly byte[] encoded;

    /// <summary>Wraps an encoding the caller has already validated.</summary>
    internal HpkePublicKey(byte[] encoded)
    {
        this.encoded = encoded;
    }

    /// <summary>The serialized key, 0x04 || X || Y (65 bytes, RFC 9180 section 7.1.1).</summary>
    public ReadOnlySpan<byte> Encoded => encoded;

    /// <summary>The X coordinate, big-endian.</summary>
    internal ReadOnlySpan<byte> X => encoded.AsSpan(1, P256Curve.ScalarSize);

    /// <summary>The Y coordinate, big-endian.</summary>
    internal ReadOnlySpan<byte> Y => encoded.AsSpan(1 + P256Curve.ScalarSize, P256Curve.ScalarSize);

    /// <inheritdoc/>
    public bool Equals(HpkePublicKey? other) =>
        other is not null && encoded.AsSpan().SequenceEqual(other.encoded);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as HpkePublicKey);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(encoded);
        return hash.ToHashCode();
    }

    /// <summary>The encoded key as lowercase hex.</summary>
    /// <returns>130 hex digits.</returns>
    public override string ToString() => Convert.ToHexStringLower(encoded);
}
