using System.Security.Cryptography;

namespace Mqtt.Security.Scram;

/// <summary>Nonce creation and the RFC 5802 <c>printable</c> rule.</summary>
internal static class ScramNonce
{
    /// <summary>Random bytes per nonce; SECURITY.md asks for at least 18.</summary>
    public const int RandomByteCount = 24;

    /// <summary>A fresh nonce: CSPRNG bytes in base64, which is printable and has no comma.</summary>
    public static string Create()
    {
        Span<byte> random = stackalloc byte[RandomByteCount];
        RandomNumberGenerator.Fill(random);
        return Convert.ToBase64String(random);
    }

    /// <summary>RFC 5802: <c>printable = %x21-2B / %x2D-7E</c>, at least one character.</summary>
    public static bool IsPrintable(ReadOnlySpan<char> nonce)
    {
        if (nonce.Length == 0)
        {
            return false;
        }

        foreach (char c in nonce)
        {
            if (c < '\x21' || c > '\x7E' || c == ',')
            {
                return false;
            }
        }

        return true;
    }
}
