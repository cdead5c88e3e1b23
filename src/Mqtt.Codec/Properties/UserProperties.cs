using System.Buffers;
using System.Text;

namespace Mqtt.Codec;

/// <summary>
/// The User Properties of a packet, kept in their wire encoding so that reading and forwarding them
/// copies nothing. Enumerate it for the pairs, in the order they were sent.
/// </summary>
public readonly struct UserProperties
{
    // The block may hold other properties too (a received block is kept whole); only 0x26 entries count.
    private readonly ReadOnlySequence<byte> _block;

    internal UserProperties(ReadOnlySequence<byte> block, int count, int encodedLength)
    {
        _block = block;
        Count = count;
        EncodedLength = encodedLength;
    }

    /// <summary>How many pairs there are.</summary>
    public int Count { get; }

    /// <summary>Bytes the pairs take on the wire, identifiers included.</summary>
    internal int EncodedLength { get; }

    /// <summary>The block the pairs are read from (it may hold other properties too).</summary>
    internal ReadOnlySequence<byte> Block => _block;

    /// <summary>Encodes pairs for a packet being built.</summary>
    public static UserProperties Create(params ReadOnlySpan<(string Name, string Value)> pairs)
    {
        int length = 0;
        foreach ((string name, string value) in pairs)
        {
            length += 5 + Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value);
        }
        var writer = new ArrayBufferWriter<byte>(Math.Max(length, 1));
        var w = new PacketWriter(writer, length);
        foreach ((string name, string value) in pairs)
        {
            w.WriteByte((byte)PropertyId.UserProperty);
            w.WriteBinary(MqttUtf8.Encode(name));
            w.WriteBinary(MqttUtf8.Encode(value));
        }
        w.Commit();
        return new UserProperties(new ReadOnlySequence<byte>(writer.WrittenMemory), pairs.Length, length);
    }

    /// <summary>Enumerates the pairs.</summary>
    public Enumerator GetEnumerator() => new(_block);

    internal void WriteTo(ref PacketWriter writer)
    {
        if (Count == 0)
        {
            return;
        }
        if (EncodedLength == _block.Length)
        {
            writer.WriteBytes(_block);
            return;
        }
        foreach (UserProperty pair in this)
        {
            writer.WriteByte((byte)PropertyId.UserProperty);
            writer.WriteBinary(pair.Name);
            writer.WriteBinary(pair.Value);
        }
    }

    /// <summary>Walks the block for User Property entries.</summary>
    public ref struct Enumerator
    {
        private RepeatedPropertyCursor _cursor;

        internal Enumerator(ReadOnlySequence<byte> block) => _cursor = new RepeatedPropertyCursor(block, PropertyId.UserProperty);

        /// <summary>The current pair.</summary>
        public UserProperty Current { get; private set; }

        /// <summary>Advances to the next pair.</summary>
        public bool MoveNext()
        {
            if (!_cursor.MoveNext())
            {
                return false;
            }
            Current = new UserProperty(ReadPrefixed(ref _cursor.Reader), ReadPrefixed(ref _cursor.Reader));
            return true;
        }

        private static ReadOnlySequence<byte> ReadPrefixed(ref SequenceReader<byte> reader)
        {
            reader.TryReadBigEndian(out short length);
            ReadOnlySequence<byte> value = reader.Sequence.Slice(reader.Position, (ushort)length);
            reader.Advance((ushort)length);
            return value;
        }
    }
}
