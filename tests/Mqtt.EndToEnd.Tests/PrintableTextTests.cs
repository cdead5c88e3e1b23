using Mqtt.Cli.Commands;

namespace Mqtt.EndToEnd.Tests;

/// <summary>What chat and recv make of a peer's text: one line, nothing that drives or reorders the terminal.</summary>
public sealed class PrintableTextTests
{
    [Theory]
    [InlineData("a\nb\rc\td", @"a\nb\rc\td")]
    [InlineData("\u0000\u001b[31m\u007f", @"\x00\x1b[31m\x7f")]
    [InlineData("\u0085\u009b2J", @"\u0085\u009b2J")] // C1: NEL, CSI
    [InlineData("a\u2028b\u2029c", @"a\u2028b\u2029c")]
    [InlineData("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069", @"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")]
    public void Line_breaks_terminal_controls_and_bidi_controls_are_escaped_visibly(string text, string printed) =>
        Assert.Equal(printed, PrintableText.Escape(text));

    [Theory]
    [InlineData("plain text, 100 %")]
    [InlineData(@"C:\temp \n stays as typed")]
    [InlineData("grüße, 日本語, emoji \U0001F600, RLM-free Arabic سلام")]
    [InlineData("")]
    public void Other_text_is_printed_unchanged(string text) =>
        Assert.Same(text, PrintableText.Escape(text));
}
