using System.Buffers.Binary;
using System.Text;

namespace Mqtt.Security.EndToEnd;

/// <summary>
/// The saved replay state (docs/e2e.md, "Replay state"): "MQRS", version 1, u16 sender count, then per sender
/// u16 name length, name (UTF-8), i64 closed-up-to time, u16 session count, and per session a 16-byte id,
/// i64 start time, u64 highest sequence number, u64 bitmap and one byte 1 when the window is empty. Big-endian.
/// </summary>
internal sealed class ReplayStateWriter
{
    private const int SessionSize = 16 + 8 + 8 + 8 + 1;

    private readonly List<byte[]> parts = [];
    private int peerCount;

    public static ReadOnlySpan<byte> Magic => "MQRS"u8;

    public const byte Version = 1;

    public void AddPeer(string sender, long closedUpTo, List<(UInt128 Id, long Start, ReplayWindow Window)> sessions)
    {
        byte[] name = Encoding.UTF8.GetBytes(sender);
        byte[] part = new byte[2 + name.Length + 8 + 2 + (sessions.Count * SessionSize)];
        Span<byte> w = part;
        BinaryPrimitives.WriteUInt16BigEndian(w, checked((ushort)name.Length));
        name.CopyTo(w[2..]);
        w = w[(2 + name.Length)..];
        BinaryPrimitives.WriteInt64BigEndian(w, closedUpTo);
        BinaryPrimitives.WriteUInt16BigEndian(w[8..], checked((ushort)sessions.Count));
        w = w[10..];
        foreach ((UInt128 id, long start, ReplayWindow window) in sessions)
        {
            BinaryPrimitives.WriteUInt128BigEndian(w, id);
            BinaryPrimitives.WriteInt64BigEndian(w[16..], start);
            BinaryPrimitives.WriteUInt64BigEndian(w[24..], window.Highest);
            BinaryPrimitives.WriteUInt64BigEndian(w[32..], window.Seen);
            w[40] = window.IsEmpty ? (byte)1 : (byte)0;
            w = w[SessionSize..];
        }

        parts.Add(part);
        peerCount++;
    }

    public byte[] ToArray()
    {
        int length = Magic.Length + 1 + 2;
        foreach (byte[] part in parts)
        {
            length += part.Length;
        }

        byte[] state = new byte[length];
        Magic.CopyTo(state);
        state[4] = Version;
        BinaryPrimitives.WriteUInt16BigEndian(state.AsSpan(5), checked((ushort)peerCount));
        int offset = 7;
        foreach (byte[] part in parts)
        {
            part.CopyTo(state, offset);
            offset += part.Length;
        }

        return state;
    }
}
