namespace Mqtt.Broker.Tests;

/// <summary>
/// Matches one Topic Name against one Topic Filter (4.7), level by level: the plain reference that the retained
/// store's trie is checked against (RetainedStoreTests).
/// </summary>
internal static class TopicFilterMatcher
{
    /// <summary>
    /// True when <paramref name="topic"/> matches <paramref name="filter"/>; a topic starting with '$'
    /// is not matched by a filter starting with a wildcard [MQTT-4.7.2-1].
    /// </summary>
    public static bool Matches(ReadOnlySpan<char> filter, ReadOnlySpan<char> topic)
    {
        if (topic.Length > 0 && topic[0] == '$' && filter.Length > 0 && filter[0] is '+' or '#')
        {
            return false;
        }
        while (true)
        {
            int fs = filter.IndexOf('/');
            ReadOnlySpan<char> level = fs < 0 ? filter : filter[..fs];
            if (level is "#")
            {
                return true;
            }
            int ts = topic.IndexOf('/');
            ReadOnlySpan<char> topicLevel = ts < 0 ? topic : topic[..ts];
            if (level is not "+" && !level.SequenceEqual(topicLevel))
            {
                return false;
            }
            if (fs < 0 || ts < 0)
            {
                // "a/#" also matches "a": the filter's remaining "#" stands for the parent level too.
                return fs < 0 && ts < 0 || (ts < 0 && filter[(fs + 1)..] is "#");
            }
            filter = filter[(fs + 1)..];
            topic = topic[(ts + 1)..];
        }
    }
}
