using System.Numerics;

namespace Mqtt.Security.Hpke;

/// <summary>
/// NIST P-256 domain constants (SEC 2 section 2.4.2) and the checks RFC 9180 section 7.1.4
/// asks of a received public key, done here so the result does not depend on the platform's
/// crypto library (which, on OpenSSL, checks the point again on import).
/// </summary>
internal static class P256Curve
{
    /// <summary>Nsk: bytes in a scalar.</summary>
    public const int ScalarSize = 32;

    /// <summary>Npk: bytes in an uncompressed point, 0x04 || X || Y.</summary>
    public const int PointSize = 1 + 2 * ScalarSize;

    /// <summary>First byte of an uncompressed point (SEC 1 section 2.3.3).</summary>
    public const byte Uncompressed = 0x04;

    /// <summary>n, the order of the base point.</summary>
    public static ReadOnlySpan<byte> Order =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
    ];

    /// <summary>p, the field prime.</summary>
    public static ReadOnlySpan<byte> Prime =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ];

    /// <summary>b in y^2 = x^3 - 3x + b.</summary>
    public static ReadOnlySpan<byte> B =>
    [
        0x5A, 0xC6, 0x35, 0xD8, 0xAA, 0x3A, 0x93, 0xE7, 0xB3, 0xEB, 0xBD, 0x55, 0x76, 0x98, 0x86, 0xBC,
        0x65, 0x1D, 0x06, 0xB0, 0xCC, 0x53, 0xB0, 0xF6, 0x3B, 0xCE, 0x3C, 0x3E, 0x27, 0xD2, 0x60, 0x4B,
    ];

    /// <summary>True if <paramref name="scalar"/> is 32 big-endian bytes in [1, n-1].</summary>
    public static bool IsValidScalar(ReadOnlySpan<byte> scalar) =>
        scalar.Length == ScalarSize
        && scalar.ContainsAnyExcept((byte)0)
        && scalar.SequenceCompareTo(Order) < 0;

    /// <summary>
    /// Partial public-key validation (NIST SP 800-56A section 5.6.2.3.4; the cofactor of P-256 is 1):
    /// both coordinates in [0, p-1] and y^2 = x^3 - 3x + b (mod p). The point at infinity has
    /// no uncompressed encoding, so it cannot reach this check.
    /// </summary>
    public static bool IsOnCurve(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        if (x.Length != ScalarSize || y.Length != ScalarSize
            || x.SequenceCompareTo(Prime) >= 0 || y.SequenceCompareTo(Prime) >= 0)
        {
            return false;
        }

        var p = new BigInteger(Prime, isUnsigned: true, isBigEndian: true);
        var b = new BigInteger(B, isUnsigned: true, isBigEndian: true);
        var bx = new BigInteger(x, isUnsigned: true, isBigEndian: true);
        var by = new BigInteger(y, isUnsigned: true, isBigEndian: true);
        BigInteger left = by * by % p;
        BigInteger right = ((bx * bx % p * bx) - (3 * bx) + b) % p;
        if (right.Sign < 0)
        {
            right += p;
        }

        return left == right;
    }
}
