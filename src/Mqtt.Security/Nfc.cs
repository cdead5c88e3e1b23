using System.Text;

namespace Mqtt.Security;

/// <summary>
/// Whether text is in Unicode Normalization Form C (UAX #15), judged from <see cref="NfcData"/>: .NET in invariant
/// globalization mode, as MqttCore runs, has no normalization data (<c>string.IsNormalized</c> answers yes to anything).
/// The quick check, with its "maybe" settled conservatively: a character that NFC would compose with the last character
/// of class 0 before it is refused even where a mark between them would block the composition, and a character newer
/// than the data is refused (the data cannot tell what NFC does with it). So text NFC would change is always refused,
/// and a little text it would keep as it is (rare in names) is refused too.
/// </summary>
internal static class Nfc
{
    /// <summary>True when <paramref name="text"/> is in NFC, as far as the check can tell.</summary>
    public static bool IsNormalized(string text)
    {
        int lastClass = 0;
        int starter = -1;
        foreach (Rune rune in text.EnumerateRunes())
        {
            int value = rune.Value;
            int combiningClass = CombiningClass(value);
            if ((combiningClass != 0 && lastClass > combiningClass) || !InRanges(NfcData.Assigned, value)
                || InRanges(NfcData.NeverInNfc, value) || (starter >= 0 && Composes(starter, value)))
            {
                return false;
            }
            if (combiningClass == 0)
            {
                starter = value;
            }
            lastClass = combiningClass;
        }
        return true;
    }

    /// <summary>Whether <paramref name="value"/> lies in one of <paramref name="ranges"/> (first, last pairs in order).</summary>
    private static bool InRanges(ReadOnlySpan<int> ranges, int value)
    {
        int low = 0, high = ranges.Length / 2 - 1;
        while (low <= high)
        {
            int middle = (low + high) / 2;
            if (value < ranges[2 * middle])
            {
                high = middle - 1;
            }
            else if (value > ranges[2 * middle + 1])
            {
                low = middle + 1;
            }
            else
            {
                return true;
            }
        }
        return false;
    }

    private static int CombiningClass(int value)
    {
        ReadOnlySpan<int> runs = NfcData.CombiningClasses;
        int low = 0, high = runs.Length / 3 - 1;
        while (low <= high)
        {
            int middle = (low + high) / 2;
            if (value < runs[3 * middle])
            {
                high = middle - 1;
            }
            else if (value > runs[3 * middle + 1])
            {
                low = middle + 1;
            }
            else
            {
                return runs[3 * middle + 2];
            }
        }
        return 0;
    }

    // Hangul syllables compose by rule (Unicode chapter 3.12): a leading consonant with a vowel, and a syllable
    // without a trailing consonant with one.
    private static bool Composes(int first, int second) =>
        (first is >= 0x1100 and <= 0x1112 && second is >= 0x1161 and <= 0x1175)
        || (first is >= 0xAC00 and <= 0xD7A3 && (first - 0xAC00) % 28 == 0 && second is >= 0x11A8 and <= 0x11C2)
        || NfcData.Compositions.BinarySearch((long)first << 21 | (uint)second) >= 0;
}
