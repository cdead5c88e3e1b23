using System.Diagnostics.CodeAnalysis;

namespace Mqtt.Security.Scram;

/// <summary>Base64 as RFC 5802 writes it: standard alphabet, padded, nothing else.</summary>
internal static class ScramBase64
{
    public static string Encode(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes);

    /// <summary>
    /// Decodes canonical, non-empty base64 only. <see cref="Convert"/> alone would skip whitespace and
    /// accept non-zero padding bits, giving one value several spellings; re-encoding and comparing
    /// leaves exactly one.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<char> text, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (text.Length == 0 || text.Length % 4 != 0)
        {
            return false;
        }

        byte[] buffer = new byte[text.Length / 4 * 3];
        if (!Convert.TryFromBase64Chars(text, buffer, out int written) || written == 0)
        {
            return false;
        }

        Span<char> again = text.Length <= 256 ? stackalloc char[text.Length] : new char[text.Length];
        if (!Convert.TryToBase64Chars(buffer.AsSpan(0, written), again, out int charsWritten)
            || !again[..charsWritten].SequenceEqual(text))
        {
            return false;
        }

        bytes = written == buffer.Length ? buffer : buffer.AsSpan(0, written).ToArray();
        return true;
    }
}
