using System.Text;

namespace Mqtt.Codec.Tests;

/// <summary>
/// The word-at-a-time and search-based string checks against plain references: every length around the word
/// sizes, every position of an offending byte, and every short topic filter over the characters that matter.
/// </summary>
public class StringScanTests
{
    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static bool ReferenceIsWellFormed(byte[] bytes)
    {
        if (Array.IndexOf(bytes, (byte)0) >= 0)
        {
            return false;
        }
        try
        {
            s_strict.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    public static TheoryData<string> Insertions() => new("00", "80", "ff", "7f", "01", "c3", "c3a9", "e282ac", "eda080", "f09f9880", "c080");

    [Theory]
    [MemberData(nameof(Insertions))]
    public void Utf8_check_agrees_with_a_strict_decoder_at_every_length_and_position(string inserted)
    {
        byte[] insertion = Hex.Parse(inserted);
        for (int length = 0; length <= 80; length++)
        {
            byte[] ascii = Encoding.ASCII.GetBytes(new string('a', length));
            Assert.True(MqttUtf8.IsWellFormed(ascii), $"ASCII of length {length}");
            for (int position = 0; position <= length; position++)
            {
                byte[] bytes = [.. ascii[..position], .. insertion, .. ascii[position..]];
                Assert.True(ReferenceIsWellFormed(bytes) == MqttUtf8.IsWellFormed(bytes), $"{inserted} at {position} of {length}");
            }
        }
    }

    /// <summary>Section 4.7.1 character by character, as the codec did it before searching for wildcards.</summary>
    private static bool ReferenceIsValidFilter(string filter)
    {
        if (filter.StartsWith("$share/", StringComparison.Ordinal))
        {
            string rest = filter["$share/".Length..];
            int slash = rest.IndexOf('/');
            if (slash <= 0 || rest[..slash].IndexOfAny(['+', '#']) >= 0)
            {
                return false;
            }
            filter = rest[(slash + 1)..];
        }
        if (filter.Length == 0)
        {
            return false;
        }
        for (int i = 0; i < filter.Length; i++)
        {
            char c = filter[i];
            if (c == '#' && (i != filter.Length - 1 || (i > 0 && filter[i - 1] != '/')))
            {
                return false;
            }
            if (c == '+' && ((i > 0 && filter[i - 1] != '/') || (i < filter.Length - 1 && filter[i + 1] != '/')))
            {
                return false;
            }
        }
        return true;
    }

    [Fact]
    public void Topic_filter_check_agrees_with_the_character_by_character_rules_on_every_short_filter()
    {
        const string alphabet = "a/+#";
        int checkedFilters = 0;
        foreach (string prefix in new[] { "", "$share/g/", "$share//", "$share/+/", "x/y/z/long/enough/for/a/vector/" })
        {
            for (int length = 0; length <= 6; length++)
            {
                int combinations = (int)Math.Pow(alphabet.Length, length);
                for (int n = 0; n < combinations; n++)
                {
                    var filter = new StringBuilder(prefix);
                    for (int k = 0, rest = n; k < length; k++, rest /= alphabet.Length)
                    {
                        filter.Append(alphabet[rest % alphabet.Length]);
                    }
                    string text = filter.ToString();
                    Assert.True(ReferenceIsValidFilter(text) == MqttTopic.IsValidTopicFilter(Encoding.ASCII.GetBytes(text)), text);
                    checkedFilters++;
                }
            }
        }
        Assert.Equal(5 * 5461, checkedFilters);
    }
}
