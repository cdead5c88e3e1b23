using System.Text;

namespace Mqtt.Security.EndToEnd;

/// <summary>
/// The UTF-8 bytes of the topic a receiver was last given as a string. Messages mostly arrive on the topic of
/// the one before, so the string is compared and encoded again only when it changes; allocates only to grow.
/// Not thread-safe: the receiver uses it under its lock.
/// </summary>
internal sealed class TopicEncoder
{
    private byte[] buffer = new byte[256];
    private string? topic;
    private int length;

    /// <summary>The UTF-8 bytes of <paramref name="value"/>, valid until the next call.</summary>
    /// <returns>False for a topic longer than 65,535 bytes of UTF-8, which no sender can have bound.</returns>
    public bool TryEncode(string value, out ReadOnlySpan<byte> utf8)
    {
        if (!string.Equals(value, topic, StringComparison.Ordinal))
        {
            topic = null;
            int count = Encoding.UTF8.GetByteCount(value);
            if (count > SessionBinding.MaxTopicBytes)
            {
                utf8 = default;
                return false;
            }

            if (buffer.Length < count)
            {
                buffer = new byte[Math.Max(count, buffer.Length * 2)];
            }

            length = Encoding.UTF8.GetBytes(value, buffer);
            topic = value;
        }

        utf8 = buffer.AsSpan(0, length);
        return true;
    }
}
