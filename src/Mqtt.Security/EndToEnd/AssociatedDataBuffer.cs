using System.Buffers.Binary;
using System.Text;

namespace Mqtt.Security.EndToEnd;

/// <summary>
/// Builds a message's associated data (docs/e2e.md, "Associated data"):
/// header || u16 length || topic || names, where names = u16 length || sender || u16 length || recipient.
/// Everything after the header is the same for every message of one sender on one topic, so it is encoded
/// once and kept in place, right after room for the longest header; a message only copies its header in
/// front of it. Allocates only to grow for a longer topic than any before. Not thread-safe: the sender and
/// the receiver use it under their lock.
/// </summary>
internal sealed class AssociatedDataBuffer
{
    /// <summary>Where the topic's length starts: room for a header with the session start before it.</summary>
    private const int BindingOffset = E2eEnvelope.HeaderSize + E2eEnvelope.SessionStartSize;

    private byte[] buffer = new byte[BindingOffset + 256];
    private int topicLength = -1; // -1 until a topic is set
    private string? topic; // the topic in the buffer, when it came as a string: the next string is compared, not encoded
    private byte[]? names; // the names in the buffer: one array per sender and recipient pair, compared by reference

    /// <summary>Puts <paramref name="value"/> in the binding unless it is already there.</summary>
    /// <returns>False for a topic longer than 65,535 bytes of UTF-8, which no sender can have bound.</returns>
    public bool TrySetTopic(string value)
    {
        if (topic is not null && string.Equals(value, topic, StringComparison.Ordinal))
        {
            return true; // equal strings encode to equal bytes
        }

        int length = Encoding.UTF8.GetByteCount(value);
        if (length > SessionBinding.MaxTopicBytes)
        {
            return false;
        }

        Encoding.UTF8.GetBytes(value, ReplaceTopic(length));
        topic = value;
        return true;
    }

    /// <summary>Puts the UTF-8 topic <paramref name="value"/> in the binding unless it is already there.</summary>
    /// <returns>False for a topic longer than 65,535 bytes.</returns>
    public bool TrySetTopic(ReadOnlySpan<byte> value)
    {
        if (value.Length == topicLength && value.SequenceEqual(buffer.AsSpan(BindingOffset + 2, topicLength)))
        {
            return true;
        }

        if (value.Length > SessionBinding.MaxTopicBytes)
        {
            return false;
        }

        value.CopyTo(ReplaceTopic(value.Length));
        return true;
    }

    /// <summary>Puts <paramref name="value"/> (see <see cref="SessionBinding.Names"/>) after the topic unless it is already there.</summary>
    public void SetNames(byte[] value)
    {
        if (ReferenceEquals(value, names))
        {
            return;
        }

        int offset = BindingOffset + 2 + topicLength;
        EnsureCapacity(offset + value.Length);
        value.CopyTo(buffer, offset);
        names = value;
    }

    /// <summary>Copies <paramref name="header"/> in front of the binding; set the topic and names first.</summary>
    /// <returns>header || binding, valid until the next call.</returns>
    public ReadOnlySpan<byte> WithHeader(ReadOnlySpan<byte> header)
    {
        int start = BindingOffset - header.Length;
        header.CopyTo(buffer.AsSpan(start));
        return buffer.AsSpan(start, header.Length + 2 + topicLength + names!.Length);
    }

    /// <summary>Writes the topic's length and returns room for its bytes; the names after it are then stale.</summary>
    private Span<byte> ReplaceTopic(int length)
    {
        EnsureCapacity(BindingOffset + 2 + length);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(BindingOffset), (ushort)length);
        topicLength = length;
        topic = null;
        names = null;
        return buffer.AsSpan(BindingOffset + 2, length);
    }

    private void EnsureCapacity(int length)
    {
        if (buffer.Length < length)
        {
            Array.Resize(ref buffer, Math.Max(length, buffer.Length * 2));
        }
    }
}
