using System.Buffers;

namespace Mqtt.Codec;

/// <summary>
/// The Subscription Identifiers of a packet (one in SUBSCRIBE; one per matching subscription in a
/// PUBLISH from the server), kept in their wire encoding. Enumerate it for the values.
/// </summary>
public readonly struct SubscriptionIdentifiers
{
    private readonly ReadOnlySequence<byte> _block;

    internal SubscriptionIdentifiers(ReadOnlySequence<byte> block, int count, int encodedLength)
    {
        _block = block;
        Count = count;
        EncodedLength = encodedLength;
    }

    /// <summary>How many identifiers there are.</summary>
    public int Count { get; }

    /// <summary>Bytes the identifiers take on the wire, property identifiers included.</summary>
    internal int EncodedLength { get; }

    /// <summary>Encodes identifiers (1..268,435,455 each) for a packet being built.</summary>
    public static SubscriptionIdentifiers Create(params ReadOnlySpan<int> identifiers)
    {
        int length = 0;
        foreach (int id in identifiers)
        {
            if (id is < 1 or > VariableByteInteger.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(identifiers), id, "a Subscription Identifier is 1..268,435,455");
            }
            length += 1 + VariableByteInteger.GetSize(id);
        }
        var block = new byte[length];
        int offset = 0;
        foreach (int id in identifiers)
        {
            block[offset++] = (byte)PropertyId.SubscriptionIdentifier;
            offset += VariableByteInteger.Write(block.AsSpan(offset), id);
        }
        return new SubscriptionIdentifiers(new ReadOnlySequence<byte>(block), identifiers.Length, length);
    }

    /// <summary>Enumerates the identifiers.</summary>
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
        foreach (int id in this)
        {
            writer.WriteByte((byte)PropertyId.SubscriptionIdentifier);
            writer.WriteVariableByteInteger(id);
        }
    }

    /// <summary>Walks the block for Subscription Identifier entries.</summary>
    public ref struct Enumerator
    {
        private RepeatedPropertyCursor _cursor;

        internal Enumerator(ReadOnlySequence<byte> block) => _cursor = new RepeatedPropertyCursor(block, PropertyId.SubscriptionIdentifier);

        /// <summary>The current identifier.</summary>
        public int Current { get; private set; }

        /// <summary>Advances to the next identifier.</summary>
        public bool MoveNext()
        {
            if (!_cursor.MoveNext())
            {
                return false;
            }
            VariableByteInteger.TryRead(ref _cursor.Reader, out int id);
            Current = id;
            return true;
        }
    }
}
