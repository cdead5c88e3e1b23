using System.Buffers;

namespace Mqtt.Codec;

/// <summary>Syntax of Topic Names and Topic Filters (section 4.7) and Shared Subscriptions (4.8.2).</summary>
public static class MqttTopic
{
    /// <summary>Prefix of a Shared Subscription's filter.</summary>
    public static ReadOnlySpan<byte> SharePrefix => "$share/"u8;

    /// <summary>A Topic Name may not hold wildcards [MQTT-3.3.2-2] [MQTT-4.7.0-1]. The empty name is the caller's decision.</summary>
    public static bool IsValidTopicName(ReadOnlySpan<byte> name) => name.IndexOfAny((byte)'+', (byte)'#') < 0;

    /// <summary>As <see cref="IsValidTopicName(ReadOnlySpan{byte})"/> for a name that may span segments.</summary>
    public static bool IsValidTopicName(in ReadOnlySequence<byte> name)
    {
        if (ArraySequence.TryGetSpan(name, out ReadOnlySpan<byte> span))
        {
            return IsValidTopicName(span);
        }
        using var contiguous = new ContiguousBytes(name, stackalloc byte[256]);
        return IsValidTopicName(contiguous.Span);
    }

    /// <summary>
    /// A Topic Filter is at least one character [MQTT-4.7.3-1]; '#' is last and alone in its level [MQTT-4.7.1-1];
    /// '+' fills its level [MQTT-4.7.1-2]; a shared filter is "$share/" + a ShareName without '/', '+' or '#',
    /// then '/' and a filter [MQTT-4.8.2-1] [MQTT-4.8.2-2].
    /// </summary>
    public static bool IsValidTopicFilter(ReadOnlySpan<byte> filter)
    {
        if (filter.StartsWith(SharePrefix))
        {
            ReadOnlySpan<byte> rest = filter[SharePrefix.Length..];
            int slash = rest.IndexOf((byte)'/');
            if (slash <= 0 || rest[..slash].IndexOfAny((byte)'+', (byte)'#') >= 0)
            {
                return false;
            }
            filter = rest[(slash + 1)..];
        }
        return IsValidPlainFilter(filter);
    }

    /// <summary>
    /// As <see cref="IsValidTopicFilter(ReadOnlySpan{byte})"/> at a protocol level: MQTT 3.1.1 has no Shared
    /// Subscriptions, so there a "$share/" filter that is not of the shared form (such as "$share/g") is an
    /// ordinary filter, taken literally, as Mosquitto takes it.
    /// </summary>
    public static bool IsValidTopicFilter(ReadOnlySpan<byte> filter, ProtocolVersion version) =>
        IsValidTopicFilter(filter) || (version != ProtocolVersion.V500 && IsValidPlainFilter(filter));

    /// <summary>A filter without a share prefix: not empty, and its wildcards alone in their levels, '#' last.</summary>
    private static bool IsValidPlainFilter(ReadOnlySpan<byte> filter)
    {
        if (filter.IsEmpty)
        {
            return false;
        }
        // Only the wildcards need a look at their neighbours: jump from one to the next (a vectorised search).
        for (int i = filter.IndexOfAny((byte)'+', (byte)'#'); i >= 0;)
        {
            bool levelStart = i == 0 || filter[i - 1] == '/';
            if (filter[i] == '#' ? !levelStart || i != filter.Length - 1 : !levelStart || (i < filter.Length - 1 && filter[i + 1] != '/'))
            {
                return false;
            }
            int next = filter[(i + 1)..].IndexOfAny((byte)'+', (byte)'#');
            i = next < 0 ? -1 : i + 1 + next;
        }
        return true;
    }

    /// <summary>As <see cref="IsValidTopicFilter(ReadOnlySpan{byte})"/> for a filter that may span segments.</summary>
    public static bool IsValidTopicFilter(in ReadOnlySequence<byte> filter)
    {
        if (ArraySequence.TryGetSpan(filter, out ReadOnlySpan<byte> span))
        {
            return IsValidTopicFilter(span);
        }
        using var contiguous = new ContiguousBytes(filter, stackalloc byte[256]);
        return IsValidTopicFilter(contiguous.Span);
    }

    /// <summary>True for a Shared Subscription filter ("$share/...").</summary>
    public static bool IsShared(ReadOnlySpan<byte> filter) => filter.StartsWith(SharePrefix);

    /// <summary>As <see cref="IsShared(ReadOnlySpan{byte})"/> for a filter that may span segments.</summary>
    public static bool IsShared(in ReadOnlySequence<byte> filter)
    {
        if (filter.Length < SharePrefix.Length)
        {
            return false;
        }
        Span<byte> head = stackalloc byte[SharePrefix.Length];
        filter.Slice(0, head.Length).CopyTo(head);
        return head.SequenceEqual(SharePrefix);
    }
}
