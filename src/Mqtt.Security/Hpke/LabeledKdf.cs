using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Mqtt.Security.Hpke;

/// <summary>
/// LabeledExtract and LabeledExpand over HKDF-SHA256 (RFC 9180 section 4): every KDF call is
/// prefixed with "HPKE-v1" and the suite id, so keys of different suites and purposes never meet.
/// </summary>
internal static class LabeledKdf
{
    /// <summary>Nh of HKDF-SHA256.</summary>
    public const int HashSize = 32;

    /// <summary>Largest L LabeledExpand accepts: 255 * Nh (RFC 5869 section 2.3).</summary>
    public const int MaxExpandLength = 255 * HashSize;

    private const int StackLimit = 256;

    private static ReadOnlySpan<byte> Version => "HPKE-v1"u8;

    /// <summary>prk = Extract(salt, "HPKE-v1" || suite_id || label || ikm).</summary>
    public static void LabeledExtract(
        ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> label, ReadOnlySpan<byte> ikm, Span<byte> prk)
    {
        int length = checked(Version.Length + suiteId.Length + label.Length + ikm.Length);
        byte[]? rented = null;
        Span<byte> labeledIkm = length <= StackLimit
            ? stackalloc byte[StackLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(length));
        labeledIkm = labeledIkm[..length];
        try
        {
            Version.CopyTo(labeledIkm);
            int offset = Version.Length;
            suiteId.CopyTo(labeledIkm[offset..]);
            offset += suiteId.Length;
            label.CopyTo(labeledIkm[offset..]);
            offset += label.Length;
            ikm.CopyTo(labeledIkm[offset..]);
            HKDF.Extract(HashAlgorithmName.SHA256, labeledIkm, salt, prk);
        }
        finally
        {
            // The ikm is often a DH output or a PSK.
            CryptographicOperations.ZeroMemory(labeledIkm);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>okm = Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L), L = okm.Length.</summary>
    public static void LabeledExpand(
        ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> prk, ReadOnlySpan<byte> label, ReadOnlySpan<byte> info, Span<byte> okm)
    {
        int length = checked(2 + Version.Length + suiteId.Length + label.Length + info.Length);
        byte[]? rented = null;
        Span<byte> labeledInfo = length <= StackLimit
            ? stackalloc byte[StackLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(length));
        labeledInfo = labeledInfo[..length];
        try
        {
            BinaryPrimitives.WriteUInt16BigEndian(labeledInfo, checked((ushort)okm.Length));
            int offset = 2;
            Version.CopyTo(labeledInfo[offset..]);
            offset += Version.Length;
            suiteId.CopyTo(labeledInfo[offset..]);
            offset += suiteId.Length;
            label.CopyTo(labeledInfo[offset..]);
            offset += label.Length;
            info.CopyTo(labeledInfo[offset..]);
            HKDF.Expand(HashAlgorithmName.SHA256, prk, okm, labeledInfo);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
