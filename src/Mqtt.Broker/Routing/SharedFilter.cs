namespace Mqtt.Broker;

/// <summary>Splits "$share/{ShareName}/{filter}" (4.8.2); the codec has already checked its syntax.</summary>
internal static class SharedFilter
{
    private const string Prefix = "$share/";

    public static bool TryParse(string filter, out string? group, out string topicFilter)
    {
        if (!filter.StartsWith(Prefix, StringComparison.Ordinal))
        {
            group = null;
            topicFilter = filter;
            return false;
        }
        int slash = filter.IndexOf('/', Prefix.Length);
        group = filter[Prefix.Length..slash];
        topicFilter = filter[(slash + 1)..];
        return true;
    }
}
