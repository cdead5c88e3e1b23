using System.Numerics;
using System.Security.Cryptography;
using Mqtt.Security.Hpke;

namespace Mqtt.Security.EndToEnd;

/// <summary>
/// ECDSA P-256 with SHA-256 over a domain-separated message, as 64-byte r || s with s in the low half
/// of [1, n-1] so that every signed content has exactly one valid encoding (no (r, n - s) twin).
/// </summary>
internal static class IdentitySignature
{
    /// <summary>r || s.</summary>
    public const int Size = 2 * P256Curve.ScalarSize;

    private static readonly BigInteger Order = new(P256Curve.Order, isUnsigned: true, isBigEndian: true);
    private static readonly BigInteger HalfOrder = Order >> 1;

    /// <summary>Creates a new P-256 identity key.</summary>
    public static ECDsa GenerateKey() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>Writes the key's public point as 0x04 || X || Y.</summary>
    public static byte[] ExportPoint(ECDsa key)
    {
        ECParameters parameters = key.ExportParameters(includePrivateParameters: false);
        if (parameters.Q.X is not { Length: P256Curve.ScalarSize } x || parameters.Q.Y is not { Length: P256Curve.ScalarSize } y)
        {
            throw new CryptographicException("Unexpected P-256 key parameter length.");
        }

        byte[] point = new byte[P256Curve.PointSize];
        point[0] = P256Curve.Uncompressed;
        x.CopyTo(point, 1);
        y.CopyTo(point, 1 + P256Curve.ScalarSize);
        return point;
    }

    /// <summary>True if the key is on P-256 (what a loaded PKCS#8 file must hold).</summary>
    public static bool IsP256(ECAlgorithm key) =>
        key.ExportParameters(includePrivateParameters: false).Curve.Oid?.Value == "1.2.840.10045.3.1.7";

    /// <summary>Signs <paramref name="domain"/> || <paramref name="body"/>, normalised to low s.</summary>
    public static byte[] Sign(ECDsa key, ReadOnlySpan<byte> domain, ReadOnlySpan<byte> body)
    {
        byte[] message = Concat(domain, body);
        byte[] signature = key.SignData(message, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        Span<byte> sBytes = signature.AsSpan(P256Curve.ScalarSize);
        var s = new BigInteger(sBytes, isUnsigned: true, isBigEndian: true);
        if (s > HalfOrder)
        {
            WriteScalar(Order - s, sBytes);
        }

        return signature;
    }

    /// <summary>
    /// Verifies a low-s signature under a public point. Never throws on hostile input: an off-curve
    /// point, out-of-range r or s, or a high s all return false.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> point, ReadOnlySpan<byte> domain, ReadOnlySpan<byte> body, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != Size || !IsValidPoint(point))
        {
            return false;
        }

        ReadOnlySpan<byte> r = signature[..P256Curve.ScalarSize];
        ReadOnlySpan<byte> s = signature[P256Curve.ScalarSize..];
        if (!P256Curve.IsValidScalar(r) || !P256Curve.IsValidScalar(s)
            || new BigInteger(s, isUnsigned: true, isBigEndian: true) > HalfOrder)
        {
            return false;
        }

        try
        {
            using ECDsa key = ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint
                {
                    X = point.Slice(1, P256Curve.ScalarSize).ToArray(),
                    Y = point.Slice(1 + P256Curve.ScalarSize, P256Curve.ScalarSize).ToArray(),
                },
            });
            return key.VerifyData(Concat(domain, body), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Length, uncompressed prefix and curve equation (SP 800-56A partial validation).</summary>
    public static bool IsValidPoint(ReadOnlySpan<byte> point) =>
        point.Length == P256Curve.PointSize
        && point[0] == P256Curve.Uncompressed
        && P256Curve.IsOnCurve(point.Slice(1, P256Curve.ScalarSize), point[(1 + P256Curve.ScalarSize)..]);

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        byte[] result = new byte[a.Length + b.Length];
        a.CopyTo(result);
        b.CopyTo(result.AsSpan(a.Length));
        return result;
    }

    private static void WriteScalar(BigInteger value, Span<byte> destination)
    {
        destination.Clear();
        int length = value.GetByteCount(isUnsigned: true);
        value.TryWriteBytes(destination[(destination.Length - length)..], out _, isUnsigned: true, isBigEndian: true);
    }
}
