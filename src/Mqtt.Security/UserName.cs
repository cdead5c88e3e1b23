using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Mqtt.Security;

/// <summary>
/// The broker's rule for user names (SECURITY.md section 2): well-formed UTF-8, 1 to 64 characters
/// (Unicode scalar values), no <c>/</c>, <c>+</c> or <c>#</c> (so a name is always a single literal topic
/// level, closing CVE-2017-7650), no control characters, and not starting with <c>$</c>. A name being created
/// must also pass <see cref="IsValidForNewUser(string?)"/>.
/// </summary>
public static class UserName
{
    /// <summary>The most characters (Unicode scalar values) a name may have.</summary>
    public const int MaxLength = 64;

    /// <summary>Checks a name given as a .NET string; an unpaired surrogate makes it invalid.</summary>
    /// <param name="name">The candidate name.</param>
    /// <returns>True when the name follows the rule.</returns>
    public static bool IsValid([NotNullWhen(true)] string? name) => name is not null && IsValid(name, forNewUser: false);

    /// <summary>Checks a name given as UTF-8 bytes, as it arrives in an MQTT packet; invalid UTF-8 makes it invalid.</summary>
    /// <param name="utf8Name">The candidate name in UTF-8.</param>
    /// <returns>True when the bytes are valid UTF-8 and the name follows the rule.</returns>
    public static bool IsValid(ReadOnlySpan<byte> utf8Name) => IsValid(utf8Name, forNewUser: false);

    /// <summary>
    /// The stricter rule for a name being created (registration, <c>mqttcore user add</c>): <see cref="IsValid(string?)"/>
    /// and no <c>%</c>, which ACL patterns use for <c>%u</c> and <c>%c</c>; no format characters (Unicode Cf, such as
    /// U+200B zero width space or U+202E right-to-left override), line or paragraph separators (Zl, Zp), spaces other
    /// than one ASCII space between words, combining marks with nothing before them, characters that show as nothing
    /// (Hangul fillers, variation selectors, the Braille blank ...), code points Unicode has not assigned, and no white space at either end,
    /// and in Unicode Normalization Form C (<see cref="Nfc"/>: <c>か</c> + U+3099 is <c>が</c>, U+F900 is U+8C48), so that a new
    /// name cannot hide characters or pass for another. Names already in the
    /// credential file need only <see cref="IsValid(string?)"/>, so they keep working.
    /// </summary>
    /// <param name="name">The candidate name.</param>
    /// <returns>True when a user of this name may be created.</returns>
    public static bool IsValidForNewUser([NotNullWhen(true)] string? name) => name is not null && IsValid(name, forNewUser: true) && Nfc.IsNormalized(name);

    /// <summary>As <see cref="IsValidForNewUser(string?)"/>, for UTF-8 bytes; invalid UTF-8 makes it invalid.</summary>
    /// <param name="utf8Name">The candidate name in UTF-8.</param>
    /// <returns>True when a user of this name may be created.</returns>
    public static bool IsValidForNewUser(ReadOnlySpan<byte> utf8Name) =>
        IsValid(utf8Name, forNewUser: true) && Nfc.IsNormalized(Encoding.UTF8.GetString(utf8Name));

    /// <summary>
    /// The form two names are compared in when a new one is created: lower case, fullwidth letters and digits as their
    /// ASCII forms. A new name that folds to an existing user's (<c>Alice</c> or <c>ａlice</c> beside <c>alice</c>)
    /// is taken, so that one user cannot pass for another in a peer's pins or a listing.
    /// </summary>
    /// <param name="name">A valid name.</param>
    /// <returns>The folded form.</returns>
    public static string Fold(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var folded = new StringBuilder(name.Length);
        foreach (Rune rune in name.EnumerateRunes())
        {
            // U+FF01-FF5E are fullwidth forms of U+0021-007E.
            Rune ascii = rune.Value is >= 0xFF01 and <= 0xFF5E ? new Rune(rune.Value - 0xFEE0) : rune;
            folded.Append(Rune.ToLowerInvariant(ascii).ToString());
        }

        return folded.ToString();
    }

    private static bool IsValid(ReadOnlySpan<char> name, bool forNewUser)
    {
        int count = 0;
        Rune rune = default;
        Rune previous = default;
        while (!name.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(name, out rune, out int consumed) != OperationStatus.Done
                || !IsAllowed(rune, previous, count, forNewUser))
            {
                return false;
            }

            name = name[consumed..];
            previous = rune;
            count++;
        }

        return count > 0 && !(forNewUser && Rune.IsWhiteSpace(rune));
    }

    private static bool IsValid(ReadOnlySpan<byte> utf8Name, bool forNewUser)
    {
        int count = 0;
        Rune rune = default;
        Rune previous = default;
        while (!utf8Name.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(utf8Name, out rune, out int consumed) != OperationStatus.Done
                || !IsAllowed(rune, previous, count, forNewUser))
            {
                return false;
            }

            utf8Name = utf8Name[consumed..];
            previous = rune;
            count++;
        }

        return count > 0 && !(forNewUser && Rune.IsWhiteSpace(rune));
    }

    private static bool IsAllowed(Rune rune, Rune previous, int index, bool forNewUser)
    {
        if (index >= MaxLength || Rune.IsControl(rune))
        {
            return false;
        }

        int value = rune.Value;
        return value != '/' && value != '+' && value != '#' && (index > 0 || value != '$')
            && !(forNewUser && IsRefusedInNewName(rune, previous, index));
    }

    // Trailing white space is checked once the last character is known.
    private static bool IsRefusedInNewName(Rune rune, Rune previous, int index) =>
        rune.Value == '%'
        || Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => true,
            // Unassigned code points: Unicode makes some default ignorable (U+2065, U+FFF0-FFF8, U+E0080 ...), shown as
            // nothing, and any may be given a look-alike later.
            UnicodeCategory.OtherNotAssigned => true,
            // Only the ASCII space between words: no-break, ideographic, thin ... spaces pass for it or for nothing.
            UnicodeCategory.SpaceSeparator => index == 0 || rune.Value != ' ',
            // A combining mark needs a character before it to sit on, and not a Latin, Greek or Cyrillic letter: e + U+0301
            // would pass for é (U+00E9), a different name, and without normalization tables the two cannot be told the same.
            UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark =>
                index == 0 || IsBlank(rune.Value) || HasPrecomposedForms(previous.Value),
            _ => IsBlank(rune.Value),
        };

    /// <summary>
    /// Letters with precomposed accented forms: Latin (to Latin Extended-B, Latin Extended Additional), Greek and Cyrillic
    /// (with Greek Extended), and the fullwidth forms.
    /// </summary>
    private static bool HasPrecomposedForms(int value) =>
        value is <= 0x024F or (>= 0x0370 and <= 0x052F) or (>= 0x1E00 and <= 0x1FFF) or (>= 0xFF00 and <= 0xFFEF);

    /// <summary>
    /// Characters that show as nothing though they are neither format characters nor spaces: the combining grapheme
    /// joiner, the Hangul and Khmer fillers, the Mongolian and other variation selectors, the Braille blank.
    /// </summary>
    private static bool IsBlank(int value) =>
        value is 0x034F or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or 0x3164 or 0xFFA0 or 0x2800
            or (>= 0x180B and <= 0x180F) or (>= 0xFE00 and <= 0xFE0F) or (>= 0xE0100 and <= 0xE01EF);
}
