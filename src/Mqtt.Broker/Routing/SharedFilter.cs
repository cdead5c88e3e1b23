namespace Mqtt.Broker;

/// <summary>
/// Splits "$share/{ShareName}/{filter}" (4.8.2). The codec has checked an MQTT 5 filter's syntax; a 3.1.1 one that
/// starts with "$share/" without being of that form ("$share/g", "$share//t") is an ordinary filter, taken literally.
/// </summary>
internal static class SharedFilter
{
    private const string Prefix = "$share/";

    public static bool TryParse(string filter, out string? group, out string topicFilter)
    {
        int slash = filter.StartsWith(Prefix, StringComparison.Ordinal) ? filter.IndexOf('/', Prefix.Length) : -1;
        if (slash <= Prefix.Length || slash == filter.Length - 1 || filter.AsSpan(Prefix.Length, slash - Prefix.Length).ContainsAny('+', '#'))
        {
            group = null;
            topicFilter = filter;
            return false;
        }
        group = filter[Prefix.Length..slash];
        topicFilter = filter[(slash + 1)..];
        return true;
    }
}
