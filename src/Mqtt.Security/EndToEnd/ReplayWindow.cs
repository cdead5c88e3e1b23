namespace Mqtt.Security.EndToEnd;

/// <summary>
/// The 64-message sliding window of RFC 4303 section 3.4.3 / RFC 6479: the highest sequence number
/// accepted and a bitmap of the 63 below it. A number above the highest is new; within the window it
/// is new unless its bit is set; below the window it can no longer be judged and is refused.
/// </summary>
internal struct ReplayWindow
{
    /// <summary>Sequence numbers tracked: the highest accepted and the 63 before it.</summary>
    public const int Size = 64;

    private ulong highest;
    private ulong seen; // bit i: highest - i was accepted
    private bool any;

    /// <summary>The highest sequence number accepted so far.</summary>
    public readonly ulong Highest => highest;

    /// <summary>The bitmap below <see cref="Highest"/>, for saving the window.</summary>
    public readonly ulong Seen => seen;

    /// <summary>False until the first number is accepted.</summary>
    public readonly bool IsEmpty => !any;

    /// <summary>A window saved with <see cref="Highest"/>, <see cref="Seen"/> and <see cref="IsEmpty"/>.</summary>
    public static ReplayWindow Restore(ulong highest, ulong seen, bool isEmpty) =>
        isEmpty ? default : new ReplayWindow { highest = highest, seen = seen, any = true };

    /// <summary>
    /// A window that refuses every number <paramref name="a"/> or <paramref name="b"/> refuses (two receivers'
    /// views of one session): the higher of the two highest numbers, and both bitmaps aligned to it. Numbers
    /// the lower window had seen that fall below the merged window are refused as beyond it.
    /// </summary>
    public static ReplayWindow Union(ReplayWindow a, ReplayWindow b)
    {
        if (!a.any)
        {
            return b;
        }

        if (!b.any)
        {
            return a;
        }

        if (a.highest < b.highest)
        {
            (a, b) = (b, a);
        }

        ulong shift = a.highest - b.highest;
        ulong seen = a.seen | (shift >= Size ? 0 : b.seen << (int)shift);
        return new ReplayWindow { highest = a.highest, seen = seen, any = true };
    }

    /// <summary>Whether <paramref name="sequence"/> may be opened; does not record it.</summary>
    public readonly E2eError Check(ulong sequence)
    {
        if (!any || sequence > highest)
        {
            return E2eError.None;
        }

        ulong distance = highest - sequence;
        if (distance >= Size)
        {
            return E2eError.ReorderedBeyondWindow;
        }

        return (seen & (1UL << (int)distance)) != 0 ? E2eError.Duplicate : E2eError.None;
    }

    /// <summary>Records <paramref name="sequence"/> as accepted; call only after <see cref="Check"/> passed and the AEAD succeeded.</summary>
    public void Accept(ulong sequence)
    {
        if (!any)
        {
            any = true;
            highest = sequence;
            seen = 1;
        }
        else if (sequence > highest)
        {
            ulong shift = sequence - highest;
            seen = shift >= Size ? 1 : (seen << (int)shift) | 1;
            highest = sequence;
        }
        else
        {
            seen |= 1UL << (int)(highest - sequence);
        }
    }
}
