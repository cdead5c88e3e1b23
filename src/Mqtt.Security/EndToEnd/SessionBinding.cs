using System.Buffers.Binary;
using System.Text;

namespace Mqtt.Security.EndToEnd;

/// <summary>
/// What binds a session and its messages to their context (docs/e2e.md, "Associated data"):
/// the HPKE info of a session, and the part of every message's associated data after the header:
/// u16 length || topic || u16 length || sender || u16 length || recipient, all UTF-8.
/// </summary>
internal static class SessionBinding
{
    /// <summary>MQTT topics are at most 65,535 bytes of UTF-8 [MQTT-1.5.4-1].</summary>
    public const int MaxTopicBytes = ushort.MaxValue;

    private static ReadOnlySpan<byte> InfoLabel => "mqttcore-e2e v1 session"u8;

    /// <summary>info = label || session id || start time || u16 sender || sender || u16 recipient || recipient.</summary>
    public static byte[] Info(UInt128 sessionId, long startMilliseconds, string sender, string recipient)
    {
        int senderLength = Encoding.UTF8.GetByteCount(sender);
        int recipientLength = Encoding.UTF8.GetByteCount(recipient);
        byte[] info = new byte[InfoLabel.Length + E2eEnvelope.SessionIdSize + sizeof(long) + 2 + senderLength + 2 + recipientLength];
        Span<byte> w = info;
        InfoLabel.CopyTo(w);
        w = w[InfoLabel.Length..];
        BinaryPrimitives.WriteUInt128BigEndian(w, sessionId);
        BinaryPrimitives.WriteInt64BigEndian(w[E2eEnvelope.SessionIdSize..], startMilliseconds);
        w = w[(E2eEnvelope.SessionIdSize + sizeof(long))..];
        w = WriteString(w, sender);
        WriteString(w, recipient);
        return info;
    }

    /// <summary>u16 sender || sender || u16 recipient || recipient: the fixed tail of a pair's associated data.</summary>
    public static byte[] Names(string sender, string recipient)
    {
        byte[] names = new byte[2 + Encoding.UTF8.GetByteCount(sender) + 2 + Encoding.UTF8.GetByteCount(recipient)];
        WriteString(WriteString(names, sender), recipient);
        return names;
    }

    private static Span<byte> WriteString(Span<byte> destination, string value)
    {
        int length = Encoding.UTF8.GetBytes(value, destination[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination, checked((ushort)length));
        return destination[(2 + length)..];
    }
}
