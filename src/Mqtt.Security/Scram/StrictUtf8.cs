using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;

namespace Mqtt.Security.Scram;

/// <summary>UTF-8 conversions that refuse ill-formed text instead of substituting U+FFFD.</summary>
/// <remarks>
/// Substitution would let two different inputs (say two different lone surrogates) map to the same
/// bytes, so names and passwords are checked, never repaired.
/// </remarks>
internal static class StrictUtf8
{
    private static readonly UTF8Encoding Encoding = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>True when <paramref name="text"/> has no unpaired surrogate, i.e. it has a UTF-8 form.</summary>
    public static bool IsWellFormed(ReadOnlySpan<char> text)
    {
        int first = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0)
        {
            return true;
        }

        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (!char.IsSurrogate(c))
            {
                continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            return false;
        }

        return true;
    }

    /// <summary>UTF-8 bytes of text the caller has already checked with <see cref="IsWellFormed"/>.</summary>
    public static byte[] GetBytes(string text) => Encoding.GetBytes(text);

    /// <summary>Decodes <paramref name="utf8"/>, failing on any invalid sequence.</summary>
    public static bool TryGetString(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out string? text)
    {
        if (!Utf8.IsValid(utf8))
        {
            text = null;
            return false;
        }

        text = Encoding.GetString(utf8);
        return true;
    }
}
