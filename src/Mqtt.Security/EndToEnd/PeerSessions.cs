using Mqtt.Security.Hpke;

namespace Mqtt.Security.EndToEnd;

/// <summary>
/// A receiver's open sessions from one sender (at most a few, so a linear scan) and the start time of
/// the newest session it has closed: a session that started no later than that may have been seen and
/// erased, so it is refused rather than opened a second time with a fresh replay window.
/// </summary>
internal sealed class PeerSessions
{
    private readonly Session?[] sessions;
    private long closedUpTo = long.MinValue;
    private Dictionary<UInt128, (long Start, ReplayWindow Window)>? remembered;
    private long idleCheckedAt = long.MinValue; // the clock reading of the last EvictIdle

    public PeerSessions(int capacity) => sessions = new Session?[capacity];

    public int Count { get; private set; }

    /// <summary>Sessions that started no later than this were closed: their messages are refused.</summary>
    public long ClosedUpTo => closedUpTo;

    public Session? Find(UInt128 id)
    {
        foreach (Session? session in sessions)
        {
            if (session is not null && session.Id == id)
            {
                return session;
            }
        }

        return null;
    }

    /// <summary>False for a session that started no later than one already closed, or than every open one when full.</summary>
    public bool MayOpen(long startMilliseconds)
    {
        if (startMilliseconds <= closedUpTo)
        {
            return false;
        }

        if (Count < sessions.Length)
        {
            return true;
        }

        foreach (Session? session in sessions)
        {
            if (session!.StartMilliseconds < startMilliseconds)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The replay window an earlier receiver saved for session <paramref name="id"/> (see
    /// <see cref="E2eReceiver.ExportReplayState"/>), or an empty one: a session reopened after a restart
    /// keeps refusing what was already accepted.
    /// </summary>
    public ReplayWindow RememberedWindow(UInt128 id) =>
        remembered is not null && remembered.TryGetValue(id, out (long Start, ReplayWindow Window) saved) && saved.Start > closedUpTo
            ? saved.Window
            : default;

    /// <summary>
    /// Merges saved state in (a predecessor's, or another receiver's of this user running beside this one): the
    /// closed-sessions bound and the windows of sessions that were open, each window united with this receiver's own
    /// view of the session. At most as many as may be open are remembered: each run of a sender is a session, and those
    /// carried over from run to run would otherwise pile up in the saved state for good; the oldest are closed, as
    /// <see cref="Add"/> closes the oldest when full.
    /// </summary>
    public void Restore(long savedClosedUpTo, UInt128 id, long startMilliseconds, ReplayWindow window, bool hasSession)
    {
        closedUpTo = Math.Max(closedUpTo, savedClosedUpTo);
        if (!hasSession)
        {
            return;
        }
        if (Find(id) is Session open)
        {
            open.Window = ReplayWindow.Union(open.Window, window);
            return;
        }
        if (startMilliseconds > closedUpTo)
        {
            remembered ??= [];
            remembered[id] = remembered.TryGetValue(id, out (long Start, ReplayWindow Window) known)
                ? (Math.Max(known.Start, startMilliseconds), ReplayWindow.Union(known.Window, window))
                : (startMilliseconds, window);
            if (remembered.Count > sessions.Length)
            {
                CloseOldestRemembered();
            }
        }
    }

    private void CloseOldestRemembered()
    {
        Dictionary<UInt128, (long Start, ReplayWindow Window)> carried = remembered!;
        KeyValuePair<UInt128, (long Start, ReplayWindow Window)> oldest = carried.MinBy(entry => entry.Value.Start);
        carried.Remove(oldest.Key);
        closedUpTo = Math.Max(closedUpTo, oldest.Value.Start);
    }

    /// <summary>The open sessions and the still-relevant remembered ones, for saving.</summary>
    public List<(UInt128 Id, long Start, ReplayWindow Window)> Snapshot()
    {
        var snapshot = new List<(UInt128 Id, long Start, ReplayWindow Window)>();
        foreach (Session? session in sessions)
        {
            if (session is not null)
            {
                snapshot.Add((session.Id, session.StartMilliseconds, session.Window));
            }
        }

        if (remembered is not null)
        {
            foreach ((UInt128 id, (long start, ReplayWindow window)) in remembered)
            {
                if (start > closedUpTo)
                {
                    snapshot.Add((id, start, window));
                }
            }
        }

        return snapshot;
    }

    /// <summary>Adds a session that has just authenticated its first message, closing the oldest when full.</summary>
    public Session Add(UInt128 id, long startMilliseconds, ReadOnlySpan<byte> topicUtf8, ReadOnlySpan<byte> sessionStart, HpkeRecipientContext context)
    {
        int slot = Array.IndexOf(sessions, null);
        if (slot < 0)
        {
            slot = 0;
            for (int i = 1; i < sessions.Length; i++)
            {
                if (sessions[i]!.StartMilliseconds < sessions[slot]!.StartMilliseconds)
                {
                    slot = i;
                }
            }

            Close(slot);
        }

        var session = new Session(id, startMilliseconds, topicUtf8.ToArray(), sessionStart.ToArray(), context) { Window = RememberedWindow(id) };
        remembered?.Remove(id);
        sessions[slot] = session;
        Count++;
        return session;
    }

    /// <summary>Closes the sessions last used more than <paramref name="idleTimeout"/> milliseconds before <paramref name="now"/>.</summary>
    public int EvictIdle(long now, long idleTimeout)
    {
        // Every message calls this, and the millisecond clock moves every few milliseconds: at the reading of
        // the last scan nothing is left to close (a session used since then was used at that reading).
        if (now == idleCheckedAt)
        {
            return 0;
        }

        idleCheckedAt = now;
        int evicted = 0;
        for (int i = 0; i < sessions.Length; i++)
        {
            if (sessions[i] is { } session && now - session.LastUsed > idleTimeout)
            {
                Close(i);
                evicted++;
            }
        }

        return evicted;
    }

    public void Clear()
    {
        for (int i = 0; i < sessions.Length; i++)
        {
            if (sessions[i] is not null)
            {
                Close(i);
            }
        }
    }

    private void Close(int slot)
    {
        Session session = sessions[slot]!;
        closedUpTo = Math.Max(closedUpTo, session.StartMilliseconds);
        session.Context.Dispose(); // disposes the AesGcm and clears the base nonce and exporter secret
        sessions[slot] = null;
        Count--;
    }

    /// <summary>One open session: its key (inside the HPKE context), what it is bound to, and its replay window.</summary>
    internal sealed class Session(UInt128 id, long startMilliseconds, byte[] topicUtf8, byte[] sessionStart, HpkeRecipientContext context)
    {
        public UInt128 Id { get; } = id;

        public long StartMilliseconds { get; } = startMilliseconds;

        public HpkeRecipientContext Context { get; } = context;

        /// <summary>
        /// A later message belongs to this session only on the topic its key was derived for, and with the
        /// very session start that opened it when it carries one (the start is not read again, so it is compared).
        /// </summary>
        public bool IsBoundTo(ReadOnlySpan<byte> topic, ReadOnlySpan<byte> start) =>
            topic.SequenceEqual(topicUtf8) && (start.IsEmpty || start.SequenceEqual(sessionStart));

        /// <summary>Monotonic milliseconds of the last message opened.</summary>
        public long LastUsed { get; set; }

        /// <summary>A mutable struct: always used through this field, never copied.</summary>
        public ReplayWindow Window;
    }
}
