namespace Mqtt.Cli.Commands;

/// <summary>Whether a Topic Name matches a Topic Filter (section 4.7.1), for `sub -T`, which filters on the client.</summary>
internal static class TopicFilterMatch
{
    /// <param name="filter">A valid Topic Filter (checked when the command line was parsed).</param>
    /// <param name="topic">The Topic Name of a received message.</param>
    public static bool Matches(string filter, string topic)
    {
        // [MQTT-4.7.2-1] A filter starting with a wildcard does not match a topic starting with '$' ($SYS/...).
        if (topic.StartsWith('$') && filter.Length > 0 && filter[0] is '+' or '#')
        {
            return false;
        }
        string[] filterLevels = filter.Split('/');
        string[] topicLevels = topic.Split('/');
        for (int i = 0; i < filterLevels.Length; i++)
        {
            if (filterLevels[i] == "#")
            {
                return true; // the rest, the parent level included: "a/#" matches "a" (section 4.7.1.2)
            }
            if (i == topicLevels.Length || (filterLevels[i] != "+" && filterLevels[i] != topicLevels[i]))
            {
                return false;
            }
        }
        return filterLevels.Length == topicLevels.Length;
    }
}
