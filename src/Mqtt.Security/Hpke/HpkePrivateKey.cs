using System.Security.Cryptography;

namespace Mqtt.Security.Hpke;

/// <summary>
/// A DHKEM(P-256) key pair (skX and pkX in RFC 9180). Owns a platform key; dispose it
/// to release the key material.
/// </summary>
public sealed class HpkePrivateKey : IDisposable
{
    private readonly ECDiffieHellman key;
    private bool disposed;

    /// <summary>Takes ownership of <paramref name="key"/>, which must hold a P-256 private key.</summary>
    internal HpkePrivateKey(ECDiffieHellman key)
    {
        this.key = key;
        ECParameters parameters = key.ExportParameters(includePrivateParameters: false);
        byte[] encoded = new byte[P256Curve.PointSize];
        encoded[0] = P256Curve.Uncompressed;
        CopyLeftPadded(parameters.Q.X, encoded.AsSpan(1, P256Curve.ScalarSize));
        CopyLeftPadded(parameters.Q.Y, encoded.AsSpan(1 + P256Curve.ScalarSize, P256Curve.ScalarSize));
        PublicKey = new HpkePublicKey(encoded);
    }

    /// <summary>The public half, pk(skX).</summary>
    public HpkePublicKey PublicKey { get; }

    /// <summary>The platform key, for Diffie-Hellman.</summary>
    internal ECDiffieHellman Key
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return key;
        }
    }

    /// <summary>Writes the 32-byte big-endian scalar (RFC 9180 section 7.1.2).</summary>
    /// <param name="destination">At least 32 bytes.</param>
    internal void WriteScalar(Span<byte> destination)
    {
        ECParameters parameters = Key.ExportParameters(includePrivateParameters: true);
        try
        {
            CopyLeftPadded(parameters.D, destination[..P256Curve.ScalarSize]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }
    }

    /// <summary>Releases the platform key.</summary>
    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            key.Dispose();
        }
    }

    // Platforms return fixed-size coordinates for named curves; pad anyway rather than trust it.
    private static void CopyLeftPadded(byte[]? source, Span<byte> destination)
    {
        if (source is null || source.Length > destination.Length)
        {
            throw new CryptographicException("Unexpected P-256 key parameter length.");
        }

        int padding = destination.Length - source.Length;
        destination[..padding].Clear();
        source.CopyTo(destination[padding..]);
    }
}
