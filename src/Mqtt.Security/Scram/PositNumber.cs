using System.Globalization;

namespace Mqtt.Security.Scram;

/// <summary>RFC 5802 <c>posit-number = %x31-39 *DIGIT</c>: decimal digits, no sign, no leading zero.</summary>
internal static class PositNumber
{
    public static bool IsWellFormed(ReadOnlySpan<char> text) =>
        text.Length > 0 && text[0] != '0' && !text.ContainsAnyExceptInRange('0', '9');

    /// <summary>Parses a well-formed number; false when it is malformed or does not fit an <see cref="int"/>.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        return IsWellFormed(text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
