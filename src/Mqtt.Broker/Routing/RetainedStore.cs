namespace Mqtt.Broker;

/// <summary>
/// Retained messages by Topic Name (3.3.1.3), in a trie by topic level, so a new subscription visits only the
/// branches its filter can match: "devices/42/#" costs the messages under devices/42, not every retained message
/// (as Mosquitto's retain tree). One lock guards the trie; nodes left empty are removed.
/// </summary>
internal sealed class RetainedStore
{
    private readonly Node _root = new();
    private readonly Lock _gate = new();
    private int _count;
    private long _version;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Nodes in the trie, its root included: 1 when nothing is retained (for tests and diagnostics).</summary>
    public int NodeCount
    {
        get
        {
            lock (_gate)
            {
                return TrieNodes.Count(_root, static node => node.Children?.Values ?? Enumerable.Empty<Node>());
            }
        }
    }

    /// <summary>Changes with every <see cref="Set"/>: a reader of <see cref="Match"/> results can tell nothing was replaced since.</summary>
    public long Version => Volatile.Read(ref _version);

    /// <summary>Stores, replaces, or with an empty payload clears [MQTT-3.3.1-6] [MQTT-3.3.1-7], the topic's message.</summary>
    public void Set(ApplicationMessage message)
    {
        lock (_gate)
        {
            Volatile.Write(ref _version, _version + 1);
            if (message.Packet.Payload.IsEmpty)
            {
                Clear(message.Topic);
                return;
            }
            Node node = _root;
            foreach (Range level in message.Topic.AsSpan().Split('/'))
            {
                node = node.GetOrAddChild(message.Topic.AsSpan(level));
            }
            if (node.Message is null)
            {
                _count++;
            }
            node.Message = message;
        }
    }

    /// <summary>Forgets the messages whose Message Expiry Interval has passed; until then they are only skipped.</summary>
    /// <returns>How many were removed.</returns>
    public int RemoveExpired(long now)
    {
        lock (_gate)
        {
            int before = _count;
            RemoveExpired(_root, now);
            return before - _count;
        }
    }

    /// <summary>
    /// The unexpired retained messages matching <paramref name="filter"/>: level by level, and siblings in the order
    /// their topics were first retained (as subscribers to <c>sensor/+</c> expect from Mosquitto: 1, 2, 3, not 3, 2, 1).
    /// </summary>
    public List<ApplicationMessage> Match(string filter, long now)
    {
        var results = new List<ApplicationMessage>();
        string[] levels = filter.Split('/');
        var pending = new Queue<(Node Node, int Level)>();
        lock (_gate)
        {
            pending.Enqueue((_root, 0));
            while (pending.TryDequeue(out (Node Node, int Level) next))
            {
                (Node node, int index) = next;
                if (index == levels.Length)
                {
                    AddUnexpired(node, now, results);
                    continue;
                }
                // [MQTT-4.7.2-1] a filter starting with a wildcard does not match topics starting with '$'.
                bool skipSystem = index == 0;
                switch (levels[index])
                {
                    case "#":
                        if (index > 0)
                        {
                            // "a/#" matches "a" too [MQTT-4.7.1-2].
                            AddUnexpired(node, now, results);
                        }
                        AddDescendants(node, skipSystem, now, results);
                        break;
                    case "+":
                        foreach ((string level, Node child) in node.Children ?? [])
                        {
                            if (!(skipSystem && level.StartsWith('$')))
                            {
                                pending.Enqueue((child, index + 1));
                            }
                        }
                        break;
                    default:
                        if (node.Children?.TryGetValue(levels[index], out Node? exact) == true)
                        {
                            pending.Enqueue((exact, index + 1));
                        }
                        break;
                }
            }
        }
        return results;
    }

    /// <summary>The topic's retained message now (expired or not), or null when it has none.</summary>
    public ApplicationMessage? Current(string topic)
    {
        lock (_gate)
        {
            Node node = _root;
            foreach (Range level in topic.AsSpan().Split('/'))
            {
                if (node.Children?.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(topic.AsSpan(level), out Node? child) != true)
                {
                    return null;
                }
                node = child!;
            }
            return node.Message;
        }
    }

    private static void AddUnexpired(Node node, long now, List<ApplicationMessage> results)
    {
        if (node.Message is ApplicationMessage message && !message.IsExpired(now))
        {
            results.Add(message);
        }
    }

    /// <summary>Every message below <paramref name="top"/> (not its own), without recursion: topics may be deep.</summary>
    private static void AddDescendants(Node top, bool skipSystem, long now, List<ApplicationMessage> results)
    {
        var pending = new Queue<Node>();
        foreach ((string level, Node child) in top.Children ?? [])
        {
            if (!(skipSystem && level.StartsWith('$')))
            {
                pending.Enqueue(child);
            }
        }
        while (pending.TryDequeue(out Node? node))
        {
            AddUnexpired(node, now, results);
            foreach (Node child in node.Children?.Values ?? (IEnumerable<Node>)[])
            {
                pending.Enqueue(child);
            }
        }
    }

    private void Clear(string topic)
    {
        var path = new List<(Node Parent, string Level)>();
        Node node = _root;
        foreach (Range range in topic.AsSpan().Split('/'))
        {
            string level = topic[range];
            if (node.Children?.TryGetValue(level, out Node? child) != true)
            {
                return;
            }
            path.Add((node, level));
            node = child!;
        }
        if (node.Message is null)
        {
            return;
        }
        node.Message = null;
        _count--;
        for (int i = path.Count - 1; i >= 0 && node.IsEmpty; i--)
        {
            (Node parent, string level) = path[i];
            parent.Children!.Remove(level);
            node = parent;
        }
    }

    /// <summary>Removes expired messages under <paramref name="node"/> and the nodes they leave empty; depth-first, without recursion.</summary>
    private void RemoveExpired(Node node, long now)
    {
        // Post-order with an explicit stack: a node is pruned from its parent after its own children were visited.
        var pending = new Stack<(Node Node, Node? Parent, string? Level, bool Visited)>();
        pending.Push((node, null, null, false));
        while (pending.TryPop(out (Node Node, Node? Parent, string? Level, bool Visited) next))
        {
            if (!next.Visited)
            {
                pending.Push(next with { Visited = true });
                foreach ((string level, Node child) in next.Node.Children ?? [])
                {
                    pending.Push((child, next.Node, level, false));
                }
                continue;
            }
            if (next.Node.Message?.IsExpired(now) == true)
            {
                next.Node.Message = null;
                _count--;
            }
            if (next.Parent is not null && next.Node.IsEmpty)
            {
                next.Parent.Children!.Remove(next.Level!);
            }
        }
    }

    private sealed class Node
    {
        public Dictionary<string, Node>? Children { get; private set; }

        public ApplicationMessage? Message { get; set; }

        public bool IsEmpty => Message is null && (Children is null || Children.Count == 0);

        public Node GetOrAddChild(ReadOnlySpan<char> level)
        {
            Children ??= new Dictionary<string, Node>(StringComparer.Ordinal);
            Dictionary<string, Node>.AlternateLookup<ReadOnlySpan<char>> lookup = Children.GetAlternateLookup<ReadOnlySpan<char>>();
            if (!lookup.TryGetValue(level, out Node? child))
            {
                child = new Node();
                lookup[level] = child;
            }
            return child;
        }
    }
}
