using System.Buffers;
using System.Globalization;
using System.Text;

namespace Mqtt.Cli.Commands;

/// <summary>
/// Text a peer chose (a decrypted message, a name from a topic) made safe to print as one line: every character that
/// could end the line, rewrite what the terminal shows or reorder it is written as a visible escape, so a message
/// cannot forge a second line ("see you\ncarol: pay alice") or drive the terminal (ESC sequences).
/// </summary>
public static class PrintableText
{
    // C0 (ESC included), DEL, C1 (NEL included), the Unicode line and paragraph separators, and the bidi embeddings,
    // overrides and isolates of "Trojan Source" (CVE-2021-42574).
    private static readonly SearchValues<char> Unsafe = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"
        + "\u007f\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008a\u008b\u008c\u008d\u008e\u008f"
        + "\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009a\u009b\u009c\u009d\u009e\u009f"
        + "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069");

    /// <summary>
    /// <paramref name="text"/> with <c>\n</c>, <c>\r</c>, <c>\t</c>, <c>\xHH</c> for the other characters below U+0080
    /// and <c>\uHHHH</c> above in place of the unsafe characters; unchanged (the same instance) when it has none.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <returns>Text without line breaks or terminal controls.</returns>
    public static string Escape(string text)
    {
        int next = text.AsSpan().IndexOfAny(Unsafe);
        if (next < 0)
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16);
        int done = 0;
        while (next >= 0)
        {
            int at = done + next;
            escaped.Append(text, done, at - done);
            char c = text[at];
            escaped.Append(c switch
            {
                '\n' => @"\n",
                '\r' => @"\r",
                '\t' => @"\t",
                < '\u0080' => string.Create(CultureInfo.InvariantCulture, $@"\x{(int)c:x2}"),
                _ => string.Create(CultureInfo.InvariantCulture, $@"\u{(int)c:x4}"),
            });
            done = at + 1;
            next = text.AsSpan(done).IndexOfAny(Unsafe);
        }

        return escaped.Append(text, done, text.Length - done).ToString();
    }
}
