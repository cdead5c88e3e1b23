using System.Buffers.Binary;
using System.Text;

namespace Mqtt.Security.EndToEnd;

/// <summary>
/// The HPKE info of a session (docs/e2e.md, "What binds a message"): it puts the version, the session id,
/// start time, topic, sender and recipient into the session's key schedule, so a message opens only in the
/// context it was sealed for.
/// </summary>
internal static class SessionBinding
{
    /// <summary>MQTT topics are at most 65,535 bytes of UTF-8 [MQTT-1.5.4-1].</summary>
    public const int MaxTopicBytes = ushort.MaxValue;

    private static ReadOnlySpan<byte> InfoLabel => "mqttcore-e2e v2 session"u8;

    /// <summary>info = label || session id || start time || u16 topic || topic || u16 sender || sender || u16 recipient || recipient.</summary>
    public static byte[] Info(UInt128 sessionId, long startMilliseconds, ReadOnlySpan<byte> topicUtf8, string sender, string recipient)
    {
        int senderLength = Encoding.UTF8.GetByteCount(sender);
        int recipientLength = Encoding.UTF8.GetByteCount(recipient);
        byte[] info = new byte[
            InfoLabel.Length + E2eEnvelope.SessionIdSize + sizeof(long) + 2 + topicUtf8.Length + 2 + senderLength + 2 + recipientLength];
        Span<byte> w = info;
        InfoLabel.CopyTo(w);
        w = w[InfoLabel.Length..];
        BinaryPrimitives.WriteUInt128BigEndian(w, sessionId);
        BinaryPrimitives.WriteInt64BigEndian(w[E2eEnvelope.SessionIdSize..], startMilliseconds);
        w = w[(E2eEnvelope.SessionIdSize + sizeof(long))..];
        BinaryPrimitives.WriteUInt16BigEndian(w, checked((ushort)topicUtf8.Length));
        topicUtf8.CopyTo(w[2..]);
        w = WriteString(w[(2 + topicUtf8.Length)..], sender);
        WriteString(w, recipient);
        return info;
    }

    private static Span<byte> WriteString(Span<byte> destination, string value)
    {
        int length = Encoding.UTF8.GetBytes(value, destination[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination, checked((ushort)length));
        return destination[(2 + length)..];
    }
}
