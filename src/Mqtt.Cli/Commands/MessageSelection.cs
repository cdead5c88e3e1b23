using Mqtt.Client;

namespace Mqtt.Cli.Commands;

/// <summary>What `sub` does with a received message.</summary>
internal enum SelectionVerdict
{
    Print,
    Skip,

    /// <summary>`--retained-only` got a fresh message: the retained ones are over, so the command ends (exit 0).</summary>
    End,
}

/// <summary>
/// Which received messages `sub` prints, as mosquitto_sub chooses them: `-R` skips retained (stale) ones,
/// `--retained-only` prints only those, `-T FILTER` skips topics matching FILTER. Skipped messages do not count for -C.
/// </summary>
internal sealed record MessageSelection(bool NoRetained, bool RetainedOnly, string[] FilterOut)
{
    public SelectionVerdict Judge(MqttApplicationMessage message)
    {
        if (RetainedOnly && !message.Retain)
        {
            return SelectionVerdict.End;
        }
        if (NoRetained && message.Retain)
        {
            return SelectionVerdict.Skip;
        }
        foreach (string filter in FilterOut)
        {
            if (TopicFilterMatch.Matches(filter, message.Topic))
            {
                return SelectionVerdict.Skip;
            }
        }
        return SelectionVerdict.Print;
    }
}
