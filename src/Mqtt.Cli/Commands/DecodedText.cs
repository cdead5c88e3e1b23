namespace Mqtt.Cli.Commands;

/// <summary>Text .NET has decoded from the command line, the environment or stdin.</summary>
internal static class DecodedText
{
    /// <summary>
    /// True when it holds U+FFFD: .NET reads those as UTF-8 and turns bytes that are not into U+FFFD, so 'p\xff' and
    /// 'p\xfe' would be one password, and a topic would silently become another. Such text is refused.
    /// </summary>
    public static bool LostBytes(string text) => text.Contains('\uFFFD', StringComparison.Ordinal);
}
