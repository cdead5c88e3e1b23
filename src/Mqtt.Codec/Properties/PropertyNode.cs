using System.Buffers;
using System.Runtime.InteropServices;

namespace Mqtt.Codec;

/// <summary>
/// A string, binary or User Property value set in code on an <see cref="MqttProperties"/>. Nodes are immutable
/// and linked newest first, so copies of the struct share them and a later set never changes an earlier copy.
/// </summary>
/// <remarks>
/// Each node also carries what the list from it onwards amounts to (which ids it sets, which of them have a
/// value, and the bytes those values take on the wire), so sizing and writing a packet need not walk the list.
/// </remarks>
internal sealed class PropertyNode
{
    // Value's bytes when it is one array segment (the usual case for values set in code): writing then needs
    // no ReadOnlySequence type checks.
    private readonly byte[]? _array;
    private readonly int _offset;
    private readonly int _length;

    /// <summary>A string or binary value; null clears the property.</summary>
    public PropertyNode(PropertyId id, ReadOnlySequence<byte>? value, PropertyNode? next)
        : this(id, value.GetValueOrDefault(), value.HasValue, count: 0, value.HasValue ? 3 + (int)value.GetValueOrDefault().Length : 0, next)
    {
    }

    /// <summary>User Properties in their wire encoding.</summary>
    public PropertyNode(PropertyId id, ReadOnlySequence<byte> block, int count, int encodedLength, PropertyNode? next)
        : this(id, block, count > 0, count, encodedLength, next)
    {
    }

    private PropertyNode(PropertyId id, ReadOnlySequence<byte> value, bool hasValue, int count, int encodedLength, PropertyNode? next)
    {
        Id = id;
        HasValue = hasValue;
        Value = value;
        Count = count;
        EncodedLength = encodedLength;
        Next = next;
        if (value.IsSingleSegment && MemoryMarshal.TryGetArray(value.First, out ArraySegment<byte> segment))
        {
            _array = segment.Array;
            _offset = segment.Offset;
            _length = segment.Count;
        }
        ulong bit = 1UL << (int)id;
        PropertyNode? shadowed = next?.Find(id);
        SetIds = (next?.SetIds ?? 0) | bit;
        ValueIds = ((next?.ValueIds ?? 0) & ~bit) | (hasValue ? bit : 0);
        ValuesLength = (next?.ValuesLength ?? 0) - (shadowed?.EncodedLength ?? 0) + encodedLength;
    }

    public PropertyId Id { get; }

    /// <summary>A string or binary value is set (not cleared); for User Properties, there is at least one pair.</summary>
    public bool HasValue { get; }

    public ReadOnlySequence<byte> Value { get; }

    /// <summary>User Properties: how many pairs.</summary>
    public int Count { get; }

    /// <summary>Bytes this node's value takes on the wire, identifiers and length prefixes included (0 when cleared).</summary>
    public int EncodedLength { get; }

    public PropertyNode? Next { get; }

    /// <summary>One bit per id that this node or a later one sets or clears.</summary>
    public ulong SetIds { get; }

    /// <summary>One bit per id whose newest node (from this one on) has a value.</summary>
    public ulong ValueIds { get; }

    /// <summary>Bytes on the wire of the values of <see cref="ValueIds"/>.</summary>
    public int ValuesLength { get; }

    /// <summary>The newest node of <paramref name="id"/> from this one on, or null.</summary>
    public PropertyNode? Find(PropertyId id)
    {
        for (PropertyNode? node = this; node is not null; node = node.Next)
        {
            if (node.Id == id)
            {
                return node;
            }
        }
        return null;
    }

    /// <summary>Writes a string or binary value with its length prefix (the identifier is the caller's).</summary>
    public void WriteBinaryTo(ref PacketWriter w)
    {
        if (_array is not null)
        {
            w.WriteBinary(new ReadOnlySpan<byte>(_array, _offset, _length));
            return;
        }
        w.WriteBinary(Value);
    }

    /// <summary>Writes User Properties, identifiers included.</summary>
    public void WriteUserPropertiesTo(ref PacketWriter w)
    {
        // Made by UserProperties.Create: the block is the pairs and nothing else.
        if (_array is not null && EncodedLength == _length)
        {
            w.WriteBytes(new ReadOnlySpan<byte>(_array, _offset, _length));
            return;
        }
        new UserProperties(Value, Count, EncodedLength).WriteTo(ref w);
    }
}
