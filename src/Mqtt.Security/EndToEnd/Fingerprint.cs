using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Mqtt.Security.Hpke;

namespace Mqtt.Security.EndToEnd;

/// <summary>
/// The SHA-256 of an identity key's SubjectPublicKeyInfo (DER), the value users compare out of band.
/// The same as <c>openssl pkey -in identity.pem -pubout -outform DER | sha256sum</c>. Shown as 16
/// groups of 4 hex digits; parsed from that form, from 64 bare hex digits, or with ':' or '-' separators.
/// </summary>
public sealed class Fingerprint : IEquatable<Fingerprint>
{
    /// <summary>Bytes in a fingerprint.</summary>
    public const int Size = 32;

    private const int GroupSize = 4;

    private readonly byte[] hash;

    private Fingerprint(byte[] hash)
    {
        this.hash = hash;
    }

    /// <summary>DER of SubjectPublicKeyInfo { id-ecPublicKey, prime256v1 } up to the BIT STRING's first content byte.</summary>
    private static ReadOnlySpan<byte> SpkiPrefix =>
    [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01,
        0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];

    /// <summary>The 32 hash bytes.</summary>
    public ReadOnlySpan<byte> Bytes => hash;

    /// <summary>The fingerprint of a P-256 public key given as 0x04 || X || Y.</summary>
    /// <param name="uncompressedPoint">65 bytes.</param>
    /// <returns>The fingerprint.</returns>
    public static Fingerprint Of(ReadOnlySpan<byte> uncompressedPoint)
    {
        if (uncompressedPoint.Length != DhkemP256.PublicKeySize)
        {
            throw new ArgumentException("A P-256 point is 65 bytes.", nameof(uncompressedPoint));
        }

        Span<byte> spki = stackalloc byte[SpkiPrefix.Length + DhkemP256.PublicKeySize];
        SpkiPrefix.CopyTo(spki);
        uncompressedPoint.CopyTo(spki[SpkiPrefix.Length..]);
        return new Fingerprint(SHA256.HashData(spki));
    }

    /// <summary>Parses a fingerprint typed or pasted by a user.</summary>
    /// <param name="text">64 hex digits, in any case, with optional spaces, ':' or '-' between them, and an optional "SHA256:" prefix.</param>
    /// <param name="fingerprint">The fingerprint.</param>
    /// <returns>False when the text is not a fingerprint.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out Fingerprint? fingerprint)
    {
        fingerprint = null;
        if (text is null)
        {
            return false;
        }

        ReadOnlySpan<char> rest = text.AsSpan().Trim();
        if (rest.StartsWith("SHA256:", StringComparison.OrdinalIgnoreCase))
        {
            rest = rest["SHA256:".Length..];
        }

        byte[] bytes = new byte[Size];
        int nibbles = 0;
        foreach (char c in rest)
        {
            if (c is ' ' or ':' or '-')
            {
                continue;
            }

            int value = HexValue(c);
            if (value < 0 || nibbles == 2 * Size)
            {
                return false;
            }

            bytes[nibbles / 2] |= (byte)(nibbles % 2 == 0 ? value << 4 : value);
            nibbles++;
        }

        if (nibbles != 2 * Size)
        {
            return false;
        }

        fingerprint = new Fingerprint(bytes);
        return true;
    }

    /// <summary>Parses a fingerprint; see <see cref="TryParse"/>.</summary>
    /// <param name="text">The fingerprint as text.</param>
    /// <returns>The fingerprint.</returns>
    /// <exception cref="FormatException">The text is not a fingerprint.</exception>
    public static Fingerprint Parse(string text) =>
        TryParse(text, out Fingerprint? fingerprint)
            ? fingerprint
            : throw new FormatException("A fingerprint is 64 hex digits.");

    /// <summary>Creates a fingerprint from its 32 bytes.</summary>
    /// <param name="bytes">The hash.</param>
    /// <returns>The fingerprint.</returns>
    public static Fingerprint FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException("A fingerprint is 32 bytes.", nameof(bytes));
        }

        return new Fingerprint(bytes.ToArray());
    }

    /// <summary>64 lowercase hex digits with no separators, for command lines and files.</summary>
    /// <returns>The compact form.</returns>
    public string ToCompactString() => Convert.ToHexStringLower(hash);

    /// <summary>The form shown to humans: 16 groups of 4 lowercase hex digits separated by spaces.</summary>
    /// <returns>E.g. "3f2a 9c01 ...".</returns>
    public override string ToString()
    {
        string hex = ToCompactString();
        return string.Create(hex.Length + (hex.Length / GroupSize) - 1, hex, static (span, hex) =>
        {
            int j = 0;
            for (int i = 0; i < hex.Length; i++)
            {
                if (i > 0 && i % GroupSize == 0)
                {
                    span[j++] = ' ';
                }

                span[j++] = hex[i];
            }
        });
    }

    /// <inheritdoc/>
    public bool Equals([NotNullWhen(true)] Fingerprint? other) =>
        other is not null && CryptographicOperations.FixedTimeEquals(hash, other.hash);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Fingerprint);

    /// <inheritdoc/>
    public override int GetHashCode() => BitConverter.ToInt32(hash, 0);

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
