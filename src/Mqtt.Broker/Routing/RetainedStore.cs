namespace Mqtt.Broker;

/// <summary>
/// Retained messages by Topic Name (3.3.1.3). A new subscription scans them with its filter; an exact filter
/// is a single lookup.
/// </summary>
internal sealed class RetainedStore
{
    private readonly Dictionary<string, ApplicationMessage> _messages = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _messages.Count;
            }
        }
    }

    /// <summary>Stores, replaces, or with an empty payload clears [MQTT-3.3.1-6] [MQTT-3.3.1-7], the topic's message.</summary>
    public void Set(ApplicationMessage message)
    {
        lock (_gate)
        {
            if (message.Packet.Payload.IsEmpty)
            {
                _messages.Remove(message.Topic);
            }
            else
            {
                _messages[message.Topic] = message;
            }
        }
    }

    /// <summary>Forgets the messages whose Message Expiry Interval has passed; until then they are only skipped.</summary>
    /// <returns>How many were removed.</returns>
    public int RemoveExpired(long now)
    {
        lock (_gate)
        {
            int before = _messages.Count;
            foreach ((string topic, ApplicationMessage message) in _messages)
            {
                if (message.IsExpired(now))
                {
                    _messages.Remove(topic);
                }
            }
            return before - _messages.Count;
        }
    }

    /// <summary>The unexpired retained messages matching <paramref name="filter"/>.</summary>
    public List<ApplicationMessage> Match(string filter, long now)
    {
        var results = new List<ApplicationMessage>();
        lock (_gate)
        {
            if (filter.AsSpan().IndexOfAny('+', '#') < 0)
            {
                if (_messages.TryGetValue(filter, out ApplicationMessage? message) && !message.IsExpired(now))
                {
                    results.Add(message);
                }
                return results;
            }
            foreach ((string topic, ApplicationMessage message) in _messages)
            {
                if (!message.IsExpired(now) && TopicFilterMatcher.Matches(filter, topic))
                {
                    results.Add(message);
                }
            }
        }
        return results;
    }
}
