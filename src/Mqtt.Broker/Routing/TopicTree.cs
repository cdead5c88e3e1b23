namespace Mqtt.Broker;

/// <summary>
/// Finds the subscriptions matching a Topic Name. Filters without wildcards are looked up whole in a map;
/// only wildcard filters live in a trie by level, so a publish costs the matches it has, not the number of
/// sessions (the EMQX way). One lock guards both; matching allocates nothing.
/// </summary>
internal sealed class TopicTree
{
    private readonly Dictionary<string, SubscriberSet> _exact = new(StringComparer.Ordinal);
    private readonly Node _root = new();
    private readonly Lock _gate = new();

    public int Count { get; private set; }

    public void Add(SubscriptionEntry entry)
    {
        lock (_gate)
        {
            AddCore(entry);
        }
    }

    public void Remove(SubscriptionEntry entry)
    {
        lock (_gate)
        {
            RemoveCore(entry);
        }
    }

    /// <summary>Swaps a subscription for its replacement in one step, so no publish in between finds neither [MQTT-3.8.4-4].</summary>
    public void Replace(SubscriptionEntry existing, SubscriptionEntry replacement)
    {
        lock (_gate)
        {
            RemoveCore(existing);
            AddCore(replacement);
        }
    }

    private void AddCore(SubscriptionEntry entry)
    {
        SetFor(entry.TopicFilter, create: true)!.Add(entry);
        Count++;
    }

    private void RemoveCore(SubscriptionEntry entry)
    {
        SubscriberSet? set = SetFor(entry.TopicFilter, create: false);
        if (set is null)
        {
            return;
        }
        set.Remove(entry);
        Count--;
        if (set.IsEmpty && !HasWildcard(entry.TopicFilter))
        {
            _exact.Remove(entry.TopicFilter);
        }
    }

    /// <summary>Appends the subscriptions that match <paramref name="topic"/>; a session may appear more than once.</summary>
    public void Match(string topic, List<SubscriptionEntry> results)
    {
        lock (_gate)
        {
            if (_exact.TryGetValue(topic, out SubscriberSet? exact))
            {
                exact.CollectInto(results);
            }
            // [MQTT-4.7.2-1] a topic starting with '$' is not matched by a filter starting with a wildcard.
            bool system = topic.Length > 0 && topic[0] == '$';
            Match(_root, topic, consumed: false, skipWildcards: system, results);
        }
    }

    private static void Match(Node node, ReadOnlySpan<char> rest, bool consumed, bool skipWildcards, List<SubscriptionEntry> results)
    {
        if (!skipWildcards)
        {
            node.MultiLevel?.CollectInto(results);
        }
        if (consumed)
        {
            node.Here?.CollectInto(results);
            return;
        }
        int slash = rest.IndexOf('/');
        ReadOnlySpan<char> level = slash < 0 ? rest : rest[..slash];
        ReadOnlySpan<char> next = slash < 0 ? default : rest[(slash + 1)..];
        if (node.Children is not null && node.Children.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(level, out Node? child))
        {
            Match(child, next, slash < 0, false, results);
        }
        if (!skipWildcards && node.SingleLevel is not null)
        {
            Match(node.SingleLevel, next, slash < 0, false, results);
        }
    }

    private SubscriberSet? SetFor(string filter, bool create)
    {
        if (!HasWildcard(filter))
        {
            if (!_exact.TryGetValue(filter, out SubscriberSet? set) && create)
            {
                _exact[filter] = set = new SubscriberSet();
            }
            return set;
        }
        Node node = _root;
        foreach (Range range in filter.AsSpan().Split('/'))
        {
            string level = filter[range];
            Node? next = level switch
            {
                "#" => null,
                "+" => node.SingleLevel ??= create ? new Node() : null,
                _ => node.Child(level, create),
            };
            if (level == "#")
            {
                return node.MultiLevel ??= create ? new SubscriberSet() : null;
            }
            if (next is null)
            {
                return null;
            }
            node = next;
        }
        return node.Here ??= create ? new SubscriberSet() : null;
    }

    private static bool HasWildcard(string filter) => filter.AsSpan().IndexOfAny('+', '#') >= 0;

    private sealed class Node
    {
        public Dictionary<string, Node>? Children;
        public Node? SingleLevel;
        public SubscriberSet? MultiLevel;
        public SubscriberSet? Here;

        public Node? Child(string level, bool create)
        {
            Children ??= create ? new Dictionary<string, Node>(StringComparer.Ordinal) : null;
            if (Children is null)
            {
                return null;
            }
            if (!Children.TryGetValue(level, out Node? child) && create)
            {
                Children[level] = child = new Node();
            }
            return child;
        }
    }
}
