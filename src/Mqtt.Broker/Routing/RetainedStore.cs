namespace Mqtt.Broker;

/// <summary>
/// Retained messages by Topic Name (3.3.1.3), in a trie by topic level, so a new subscription visits only the
/// branches its filter can match: "devices/42/#" costs the messages under devices/42, not every retained message
/// (as Mosquitto's retain tree). One lock guards the trie; nodes left empty are removed. Bounded in messages and bytes
/// (<see cref="BrokerOptions.MaximumRetainedMessages"/>, <see cref="BrokerOptions.MaximumRetainedBytes"/>).
/// </summary>
internal sealed class RetainedStore(BrokerOptions options)
{
    private const long SweepToFitInterval = 1000;
    private readonly Node _root = new();
    private readonly Lock _gate = new();
    private int _count;
    // What the bounds count: the clients' messages (Wills too). The broker's own $SYS ones, a few dozen it keeps
    // replacing, are outside them, as a small bound would otherwise leave clients no room at all.
    private int _clientCount;
    private long _clientBytes;
    private int _expiringCount; // messages with a Message Expiry Interval: without any, a sweep has nothing to find
    private long _version;
    private long _lastSweepToFit = -SweepToFitInterval; // TickCount64 starts at 0 or more: the first sweep is allowed

    /// <summary>Every retained message, the broker's own $SYS ones included.</summary>
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

    /// <summary>Moves with every change (<see cref="TrySet"/>, <see cref="Restore"/>): a reader of <see cref="Match"/> results can tell nothing was replaced since.</summary>
    public long Version => Volatile.Read(ref _version);

    /// <summary>The clients' retained messages, and the bytes of their stored PUBLISH packets: what the bounds count.</summary>
    public (int Messages, long Bytes) ClientUsage
    {
        get
        {
            lock (_gate)
            {
                return (_clientCount, _clientBytes);
            }
        }
    }

    /// <summary>
    /// Stores, replaces, or with an empty payload clears [MQTT-3.3.1-6] [MQTT-3.3.1-7], the topic's message. False when
    /// a client's message would pass a bound: it is not stored, and a message it would have replaced is cleared, as
    /// kept it would give later subscribers an older value with no sign of the newer one (a Will's "offline" left
    /// saying "online"). A replacement adds no message, so only growing past the byte bound refuses it.
    /// </summary>
    public bool TrySet(ApplicationMessage message)
    {
        lock (_gate)
        {
            if (message.Packet.Payload.IsEmpty)
            {
                Store(message, null);
                return true;
            }
            // One walk to the topic serves the check and the store: a replacement, the usual retained publish, walks once.
            Node? node = Find(message.Topic);
            if (Fits(message, node?.Message) || SweptToFit(message, ref node))
            {
                Store(message, node);
                return true;
            }
            Volatile.Write(ref _version, _version + 1); // the topic's message changes: Match results taken before are stale
            Clear(message.Topic);
            return false;
        }
    }

    /// <summary>Stores a message loaded from the state file whatever the bounds: a lowered bound loses nothing saved.</summary>
    public void Restore(ApplicationMessage message)
    {
        lock (_gate)
        {
            Store(message, null);
        }
    }

    private bool Fits(ApplicationMessage message, ApplicationMessage? replaced)
    {
        if (!IsClients(message))
        {
            return true;
        }
        bool countFits = replaced is not null || options.MaximumRetainedMessages == 0 || _clientCount < options.MaximumRetainedMessages;
        long added = message.Size - (replaced?.Size ?? 0);
        bool bytesFit = options.MaximumRetainedBytes == 0 || added <= 0 || _clientBytes + added <= options.MaximumRetainedBytes;
        return countFits && bytesFit;
    }

    /// <summary>
    /// Expired messages keep their place until the housekeeping sweep (every minute): when they may be what stands in
    /// the way, they are swept now, at most once a second and only when some message can expire (a walk of a million
    /// messages holds the lock about 0.1 s).
    /// </summary>
    private bool SweptToFit(ApplicationMessage message, ref Node? node)
    {
        long now = Environment.TickCount64;
        if (_expiringCount == 0 || now - _lastSweepToFit < SweepToFitInterval)
        {
            return false;
        }
        _lastSweepToFit = now;
        RemoveExpired(_root, now);
        node = Find(message.Topic); // the sweep may have pruned it
        return Fits(message, node?.Message);
    }

    /// <summary>
    /// The broker's own $SYS messages (no publisher) are outside the bounds; every other message is a client's, one an
    /// ACL let a client publish on $SYS too.
    /// </summary>
    private static bool IsClients(ApplicationMessage message) =>
        !(message.PublisherClientId is null && message.Topic.StartsWith("$SYS/", StringComparison.Ordinal));

    /// <summary>Stores, replaces or clears the topic's message; <paramref name="node"/> is the topic's node when already found.</summary>
    private void Store(ApplicationMessage message, Node? node)
    {
        Volatile.Write(ref _version, _version + 1);
        if (message.Packet.Payload.IsEmpty)
        {
            Clear(message.Topic);
            return;
        }
        if (node is null)
        {
            node = _root;
            foreach (Range level in message.Topic.AsSpan().Split('/'))
            {
                node = node.GetOrAddChild(message.Topic.AsSpan(level));
            }
        }
        Forget(node.Message);
        node.Message = message;
        Tally(message, +1);
    }

    /// <summary>Takes a message leaving the store off the counts.</summary>
    private void Forget(ApplicationMessage? message)
    {
        if (message is not null)
        {
            Tally(message, -1);
        }
    }

    private void Tally(ApplicationMessage message, int sign)
    {
        _count += sign;
        if (message.Packet.Properties.MessageExpiryInterval is not null)
        {
            _expiringCount += sign;
        }
        if (IsClients(message))
        {
            _clientCount += sign;
            _clientBytes += sign * message.Size;
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
            return Find(topic)?.Message;
        }
    }

    /// <summary>The topic's node, or null when the trie has none.</summary>
    private Node? Find(string topic)
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
        return node;
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
        Forget(node.Message);
        node.Message = null;
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
                Forget(next.Node.Message);
                next.Node.Message = null;
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
