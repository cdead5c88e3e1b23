namespace Mqtt.Broker;

/// <summary>The subscriptions of one Topic Filter: plain ones, and Shared Subscription groups by Share Name.</summary>
internal sealed class SubscriberSet
{
    /// <summary>In no particular order: a removal moves the last entry into the gap (100,000 subscribers of one topic
    /// leaving one by one would otherwise cost 5 billion comparisons under the tree's lock).</summary>
    public List<SubscriptionEntry> Plain { get; } = [];

    public Dictionary<string, SharedGroup> Shared { get; } = new(StringComparer.Ordinal);

    public bool IsEmpty => Plain.Count == 0 && Shared.Count == 0;

    public void Add(SubscriptionEntry entry)
    {
        if (entry.ShareGroup is null)
        {
            entry.PlainIndex = Plain.Count;
            Plain.Add(entry);
            return;
        }
        if (!Shared.TryGetValue(entry.ShareGroup, out SharedGroup? group))
        {
            Shared[entry.ShareGroup] = group = new SharedGroup();
        }
        group.Members.Add(entry);
    }

    public void Remove(SubscriptionEntry entry)
    {
        if (entry.ShareGroup is null)
        {
            RemovePlain(entry);
        }
        else if (Shared.TryGetValue(entry.ShareGroup, out SharedGroup? group) && group.Members.Remove(entry) && group.Members.Count == 0)
        {
            Shared.Remove(entry.ShareGroup);
        }
    }

    private void RemovePlain(SubscriptionEntry entry)
    {
        int index = entry.PlainIndex;
        if (index >= Plain.Count || Plain[index] != entry)
        {
            return;
        }
        SubscriptionEntry last = Plain[^1];
        Plain[index] = last;
        last.PlainIndex = index;
        Plain.RemoveAt(Plain.Count - 1);
    }

    /// <summary>Adds every plain subscription and one member of each shared group (round robin), if one may read the topic.</summary>
    public void CollectInto(List<SubscriptionEntry> results, in ShareChoice shares)
    {
        results.AddRange(Plain);
        foreach (SharedGroup group in Shared.Values)
        {
            if (group.Next(shares) is SubscriptionEntry member)
            {
                results.Add(member);
            }
        }
    }
}

/// <summary>Members of one Shared Subscription group; each message goes to one of them, in turn.</summary>
internal sealed class SharedGroup
{
    // Matches run side by side (TopicTree's read lock): two at once may read the same turn and pick the same member,
    // which only bends the round robin; each message still goes to one member. Members change under the write lock.
    private int _next;

    public List<SubscriptionEntry> Members { get; } = [];

    /// <summary>
    /// Round robin, preferring members whose client is connected (4.8.2) and, among those, ones whose queue is not full:
    /// a member that stopped acknowledging would otherwise hold up the publisher, or lose its share, while the others
    /// could take the message. Members the ACL does not let read the topic are passed over: any user may join a group
    /// whose filter it may subscribe to, and one picked that may not read would take the message from the others.
    /// Null when no member may read it.
    /// </summary>
    public SubscriptionEntry? Next(in ShareChoice shares) =>
        Pick(shares, connected: true, withRoom: true) ?? Pick(shares, connected: true, withRoom: false) ?? Pick(shares, connected: false, withRoom: false);

    private SubscriptionEntry? Pick(in ShareChoice shares, bool connected, bool withRoom)
    {
        int count = Members.Count;
        for (int i = 0; i < count; i++)
        {
            SubscriptionEntry candidate = Members[(_next + i) % count];
            if ((!connected || candidate.Session.IsConnected) && (!withRoom || candidate.Session.HasQueueRoom) && shares.MayReceive(candidate))
            {
                _next = (_next + i + 1) % count;
                return candidate;
            }
        }
        return null;
    }
}

/// <summary>What a Shared Subscription group needs to pick a member for one message: its topic and who may read it.</summary>
internal readonly record struct ShareChoice(string Topic, IAuthorizer Authorizer)
{
    public bool MayReceive(SubscriptionEntry member) => Authorizer.CanReceive(member.Session.Client, Topic);
}
