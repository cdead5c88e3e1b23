using System.Buffers;

namespace Mqtt.Codec;

/// <summary>The Topic Filters of an UNSUBSCRIBE, kept in their wire encoding. Enumerate it for the filters.</summary>
public readonly struct TopicFilterList
{
    private readonly ReadOnlySequence<byte> _encoded;

    internal TopicFilterList(ReadOnlySequence<byte> encoded, int count)
    {
        _encoded = encoded;
        Count = count;
    }

    /// <summary>How many filters there are.</summary>
    public int Count { get; }

    internal long EncodedLength => _encoded.Length;

    /// <summary>Encodes filters for a packet being built.</summary>
    public static TopicFilterList Create(params ReadOnlySpan<string> topicFilters)
    {
        var output = new ArrayBufferWriter<byte>();
        int length = 0;
        foreach (string filter in topicFilters)
        {
            ReadOnlySequence<byte> bytes = MqttUtf8.Encode(filter);
            var w = new PacketWriter(output, 2 + (int)bytes.Length);
            w.WriteBinary(bytes);
            w.Commit();
            length += 2 + (int)bytes.Length;
        }
        return new TopicFilterList(new ReadOnlySequence<byte>(output.WrittenMemory), topicFilters.Length);
    }

    /// <summary>Enumerates the filters.</summary>
    public Enumerator GetEnumerator() => new(_encoded);

    internal void WriteTo(ref PacketWriter w) => w.WriteBytes(_encoded);

    /// <summary>Walks the encoded filters.</summary>
    public ref struct Enumerator
    {
        private SequenceReader<byte> _reader;

        internal Enumerator(ReadOnlySequence<byte> encoded) => _reader = new SequenceReader<byte>(encoded);

        /// <summary>The current filter's UTF-8 bytes.</summary>
        public ReadOnlySequence<byte> Current { get; private set; }

        /// <summary>Advances to the next filter.</summary>
        public bool MoveNext()
        {
            if (!_reader.TryReadBigEndian(out short length))
            {
                return false;
            }
            Current = _reader.Sequence.Slice(_reader.Position, (ushort)length);
            _reader.Advance((ushort)length);
            return true;
        }
    }
}
