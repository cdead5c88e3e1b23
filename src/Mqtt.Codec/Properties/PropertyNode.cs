using System.Buffers;

namespace Mqtt.Codec;

/// <summary>
/// A string, binary or User Property value set in code on an <see cref="MqttProperties"/>. Nodes are immutable
/// and linked newest first, so copies of the struct share them and a later set never changes an earlier copy.
/// </summary>
internal sealed class PropertyNode
{
    /// <summary>A string or binary value; null clears the property.</summary>
    public PropertyNode(PropertyId id, ReadOnlySequence<byte>? value, PropertyNode? next)
    {
        Id = id;
        HasValue = value.HasValue;
        Value = value.GetValueOrDefault();
        Next = next;
    }

    /// <summary>User Properties in their wire encoding.</summary>
    public PropertyNode(PropertyId id, ReadOnlySequence<byte> block, int count, int encodedLength, PropertyNode? next)
    {
        Id = id;
        HasValue = true;
        Value = block;
        Count = count;
        EncodedLength = encodedLength;
        Next = next;
    }

    public PropertyId Id { get; }

    public bool HasValue { get; }

    public ReadOnlySequence<byte> Value { get; }

    public int Count { get; }

    public int EncodedLength { get; }

    public PropertyNode? Next { get; }
}
