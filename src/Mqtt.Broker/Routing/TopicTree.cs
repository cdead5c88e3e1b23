namespace Mqtt.Broker;

/// <summary>
/// Finds the subscriptions matching a Topic Name. Filters without wildcards are looked up whole in a map;
/// only wildcard filters live in a trie by level, so a publish costs the matches it has, not the number of
/// sessions (the EMQX way). One reader-writer lock guards both: matches run side by side, so a costly one (thousands
/// of deep wildcard filters that all match) holds up its own publisher, not every other one; subscribing and
/// unsubscribing take it alone. Matching allocates nothing.
/// </summary>
internal sealed class TopicTree
{
    private readonly Dictionary<string, SubscriberSet> _exact = new(StringComparer.Ordinal);
    private readonly Node _root = new();
    private readonly ReaderWriterLockSlim _gate = new(LockRecursionPolicy.NoRecursion);

    public int Count { get; private set; }

    /// <summary>Nodes in the wildcard trie, its root included: 1 when no wildcard filter is held (for tests and diagnostics).</summary>
    public int NodeCount
    {
        get
        {
            _gate.EnterReadLock();
            try
            {
                return TrieNodes.Count(_root, static node => node.SingleLevel is null ? node.NamedChildren : [node.SingleLevel, .. node.NamedChildren]);
            }
            finally
            {
                _gate.ExitReadLock();
            }
        }
    }

    public void Add(SubscriptionEntry entry)
    {
        _gate.EnterWriteLock();
        try
        {
            AddCore(entry);
        }
        finally
        {
            _gate.ExitWriteLock();
        }
    }

    public void Remove(SubscriptionEntry entry)
    {
        _gate.EnterWriteLock();
        try
        {
            RemoveCore(entry);
        }
        finally
        {
            _gate.ExitWriteLock();
        }
    }

    /// <summary>Swaps a subscription for its replacement in one step, so no publish in between finds neither [MQTT-3.8.4-4].</summary>
    public void Replace(SubscriptionEntry existing, SubscriptionEntry replacement)
    {
        _gate.EnterWriteLock();
        try
        {
            RemoveCore(existing);
            AddCore(replacement);
        }
        finally
        {
            _gate.ExitWriteLock();
        }
    }

    private void AddCore(SubscriptionEntry entry)
    {
        SetFor(entry.TopicFilter).Add(entry);
        Count++;
    }

    private void RemoveCore(SubscriptionEntry entry)
    {
        string filter = entry.TopicFilter;
        if (!HasWildcard(filter))
        {
            if (_exact.TryGetValue(filter, out SubscriberSet? set))
            {
                set.Remove(entry);
                Count--;
                if (set.IsEmpty)
                {
                    _exact.Remove(filter);
                }
            }
            return;
        }
        RemoveFromTrie(entry);
    }

    /// <summary>
    /// Removes a wildcard subscription, then every trie node left with nothing under it, so filters that come and go
    /// (a device's "devices/42/#" for as long as it is connected) leave no trace.
    /// </summary>
    private void RemoveFromTrie(SubscriptionEntry entry)
    {
        var path = new List<(Node Parent, string Level)>();
        if (EndOf(entry.TopicFilter, path) is not (Node node, bool multiLevel))
        {
            return;
        }
        SubscriberSet? set = multiLevel ? node.MultiLevel : node.Here;
        if (set is null)
        {
            return;
        }
        set.Remove(entry);
        Count--;
        if (!set.IsEmpty)
        {
            return;
        }
        if (multiLevel)
        {
            node.MultiLevel = null;
        }
        else
        {
            node.Here = null;
        }
        for (int i = path.Count - 1; i >= 0 && node.IsEmpty; i--)
        {
            (Node parent, string level) = path[i];
            parent.RemoveChild(level);
            node = parent;
        }
    }

    /// <summary>
    /// The trie node a wildcard filter ends at, and whether it ends in '#'; null when the trie has no such path. The nodes
    /// passed and the levels taken from them go into <paramref name="path"/> when one is given.
    /// </summary>
    private (Node Node, bool MultiLevel)? EndOf(string filter, List<(Node Parent, string Level)>? path)
    {
        Node node = _root;
        foreach (Range range in filter.AsSpan().Split('/'))
        {
            ReadOnlySpan<char> level = filter.AsSpan(range);
            if (level is "#")
            {
                return (node, true);
            }
            Node? next = level is "+" ? node.SingleLevel : node.Find(level);
            if (next is null)
            {
                return null;
            }
            path?.Add((node, filter[range]));
            node = next;
        }
        return (node, false);
    }

    /// <summary>
    /// Appends the subscriptions that match <paramref name="topic"/>; a session may appear more than once. Each Shared
    /// Subscription group gives the member it picks among those <paramref name="authorizer"/> lets read the topic.
    /// </summary>
    public void Match(string topic, IAuthorizer authorizer, List<SubscriptionEntry> results)
    {
        var shares = new ShareChoice(topic, authorizer);
        _gate.EnterReadLock();
        try
        {
            if (_exact.TryGetValue(topic, out SubscriberSet? exact))
            {
                exact.CollectInto(results, shares);
            }
            // [MQTT-4.7.2-1] a topic starting with '$' is not matched by a filter starting with a wildcard.
            bool system = topic.Length > 0 && topic[0] == '$';
            Match(_root, topic, consumed: false, skipWildcards: system, shares, results);
        }
        finally
        {
            _gate.ExitReadLock();
        }
    }

    /// <summary>
    /// A member of the Shared Subscription group <paramref name="shared"/> belonged to, as the group is now, picked as for
    /// a publish (<see cref="SharedGroup.Next"/>); null when no member left may read the topic.
    /// </summary>
    public SubscriptionEntry? NextShareMember(SubscriptionEntry shared, in ShareChoice shares)
    {
        _gate.EnterReadLock();
        try
        {
            return SetOf(shared.TopicFilter) is SubscriberSet set && set.Shared.TryGetValue(shared.ShareGroup!, out SharedGroup? group)
                ? group.Next(shares)
                : null;
        }
        finally
        {
            _gate.ExitReadLock();
        }
    }

    /// <summary>The subscriptions of one filter, if it has any; unlike <see cref="SetFor"/>, makes nothing.</summary>
    private SubscriberSet? SetOf(string filter)
    {
        if (!HasWildcard(filter))
        {
            return _exact.GetValueOrDefault(filter);
        }
        return EndOf(filter, path: null) switch
        {
            (Node node, true) => node.MultiLevel,
            (Node node, false) => node.Here,
            null => null,
        };
    }

    private static void Match(Node node, ReadOnlySpan<char> rest, bool consumed, bool skipWildcards, in ShareChoice shares,
        List<SubscriptionEntry> results)
    {
        if (!skipWildcards)
        {
            node.MultiLevel?.CollectInto(results, shares);
        }
        if (consumed)
        {
            node.Here?.CollectInto(results, shares);
            return;
        }
        int slash = rest.IndexOf('/');
        ReadOnlySpan<char> level = slash < 0 ? rest : rest[..slash];
        ReadOnlySpan<char> next = slash < 0 ? default : rest[(slash + 1)..];
        if (node.Find(level) is Node child)
        {
            Match(child, next, slash < 0, false, shares, results);
        }
        if (!skipWildcards && node.SingleLevel is not null)
        {
            Match(node.SingleLevel, next, slash < 0, false, shares, results);
        }
    }

    private SubscriberSet SetFor(string filter)
    {
        if (!HasWildcard(filter))
        {
            if (!_exact.TryGetValue(filter, out SubscriberSet? set))
            {
                _exact[filter] = set = new SubscriberSet();
            }
            return set;
        }
        Node node = _root;
        foreach (Range range in filter.AsSpan().Split('/'))
        {
            string level = filter[range];
            switch (level)
            {
                case "#":
                    return node.MultiLevel ??= new SubscriberSet();
                case "+":
                    node = node.SingleLevel ??= new Node();
                    break;
                default:
                    node = node.Child(level);
                    break;
            }
        }
        return node.Here ??= new SubscriberSet();
    }

    private static bool HasWildcard(string filter) => filter.AsSpan().IndexOfAny('+', '#') >= 0;

    private sealed class Node
    {
        // The first named child is kept inline, a dictionary made only for a second one: most levels of most filters
        // have one child, and a dictionary of one costs about 200 bytes (deep filters cost 2.2 times less this way).
        private string? _onlyLevel;
        private Node? _onlyChild;
        private Dictionary<string, Node>? _children;
        public Node? SingleLevel;
        public SubscriberSet? MultiLevel;
        public SubscriberSet? Here;

        public bool IsEmpty => _onlyChild is null && _children is null && SingleLevel is null && MultiLevel is null && Here is null;

        public IEnumerable<Node> NamedChildren => _children is not null ? _children.Values : _onlyChild is null ? [] : [_onlyChild];

        public Node? Find(ReadOnlySpan<char> level)
        {
            if (_children is not null)
            {
                return _children.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(level, out Node? child) ? child : null;
            }
            return _onlyChild is not null && level.SequenceEqual(_onlyLevel) ? _onlyChild : null;
        }

        public Node Child(string level)
        {
            if (Find(level) is Node existing)
            {
                return existing;
            }
            var child = new Node();
            if (_onlyChild is null && _children is null)
            {
                (_onlyLevel, _onlyChild) = (level, child);
                return child;
            }
            if (_children is null)
            {
                _children = new Dictionary<string, Node>(StringComparer.Ordinal) { [_onlyLevel!] = _onlyChild! };
                (_onlyLevel, _onlyChild) = (null, null);
            }
            _children[level] = child;
            return child;
        }

        public void RemoveChild(string level)
        {
            if (level == "+")
            {
                SingleLevel = null;
            }
            else if (_children is not null)
            {
                if (_children.Remove(level) && _children.Count == 0)
                {
                    _children = null;
                }
            }
            else if (_onlyLevel == level)
            {
                (_onlyLevel, _onlyChild) = (null, null);
            }
        }
    }
}
