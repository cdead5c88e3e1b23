using System.Buffers.Binary;
using System.Text;

namespace Mqtt.Security.EndToEnd;

/// <summary>Strict reader for <see cref="ReplayStateWriter"/>'s format.</summary>
internal static class ReplayStateReader
{
    public delegate void SessionHandler(string sender, long closedUpTo, UInt128 id, long start, ReplayWindow window, bool hasSession);

    public static void Read(ReadOnlySpan<byte> state, SessionHandler handler)
    {
        if (!state.StartsWith(ReplayStateWriter.Magic) || state.Length < 7 || state[4] != ReplayStateWriter.Version)
        {
            throw Corrupt();
        }

        int peers = BinaryPrimitives.ReadUInt16BigEndian(state[5..]);
        ReadOnlySpan<byte> r = state[7..];
        for (int p = 0; p < peers; p++)
        {
            int nameLength = BinaryPrimitives.ReadUInt16BigEndian(Take(ref r, 2));
            ReadOnlySpan<byte> name = Take(ref r, nameLength);
            if (!UserName.IsValid(name))
            {
                throw Corrupt();
            }

            string sender = Encoding.UTF8.GetString(name);
            long closedUpTo = BinaryPrimitives.ReadInt64BigEndian(Take(ref r, 8));
            int sessions = BinaryPrimitives.ReadUInt16BigEndian(Take(ref r, 2));
            handler(sender, closedUpTo, default, 0, default, hasSession: false);
            for (int s = 0; s < sessions; s++)
            {
                ReadOnlySpan<byte> session = Take(ref r, 41);
                if (session[40] > 1)
                {
                    throw Corrupt();
                }

                ReplayWindow window = ReplayWindow.Restore(
                    BinaryPrimitives.ReadUInt64BigEndian(session[24..]),
                    BinaryPrimitives.ReadUInt64BigEndian(session[32..]),
                    isEmpty: session[40] == 1);
                handler(sender, closedUpTo, BinaryPrimitives.ReadUInt128BigEndian(session), BinaryPrimitives.ReadInt64BigEndian(session[16..]), window, hasSession: true);
            }
        }

        if (!r.IsEmpty)
        {
            throw Corrupt();
        }
    }

    private static ReadOnlySpan<byte> Take(ref ReadOnlySpan<byte> r, int length)
    {
        if (r.Length < length)
        {
            throw Corrupt();
        }

        ReadOnlySpan<byte> taken = r[..length];
        r = r[length..];
        return taken;
    }

    private static E2eException Corrupt() => new(E2eError.CorruptKeyFile, "The saved replay state is corrupt.");
}
