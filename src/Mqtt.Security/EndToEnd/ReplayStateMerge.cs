namespace Mqtt.Security.EndToEnd;

/// <summary>
/// Merges two saved replay states of one user (several receivers of one key store running at once, each saving
/// its own view) into one that refuses everything either refuses: per sender the later closed-up-to time, and the
/// union of the sessions, with <see cref="ReplayWindow.Union"/> for a session both know. A session that started
/// no later than the merged closed-up-to time is dropped: all of its messages are refused anyway.
/// </summary>
internal static class ReplayStateMerge
{
    public static byte[] Merge(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        var peers = new Dictionary<string, Peer>(StringComparer.Ordinal);
        ReplayStateReader.SessionHandler add = (sender, closedUpTo, id, start, window, hasSession) =>
        {
            if (!peers.TryGetValue(sender, out Peer? peer))
            {
                peer = new Peer();
                peers.Add(sender, peer);
            }

            peer.ClosedUpTo = Math.Max(peer.ClosedUpTo, closedUpTo);
            if (hasSession)
            {
                // Ids are random and the receiver keys sessions by id: keep the later start, so the window lives longest.
                peer.Sessions[id] = peer.Sessions.TryGetValue(id, out (long Start, ReplayWindow Window) known)
                    ? (Math.Max(known.Start, start), ReplayWindow.Union(known.Window, window))
                    : (start, window);
            }
        };
        ReplayStateReader.Read(first, add);
        ReplayStateReader.Read(second, add);

        var merged = new ReplayStateWriter();
        foreach ((string sender, Peer peer) in peers)
        {
            var open = new List<(UInt128 Id, long Start, ReplayWindow Window)>();
            foreach ((UInt128 id, (long start, ReplayWindow window)) in peer.Sessions)
            {
                if (start > peer.ClosedUpTo)
                {
                    open.Add((id, start, window));
                }
            }

            merged.AddPeer(sender, peer.ClosedUpTo, open);
        }

        return merged.ToArray();
    }

    private sealed class Peer
    {
        public long ClosedUpTo { get; set; } = long.MinValue;

        public Dictionary<UInt128, (long Start, ReplayWindow Window)> Sessions { get; } = [];
    }
}
