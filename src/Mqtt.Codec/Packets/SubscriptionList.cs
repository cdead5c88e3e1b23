using System.Buffers;

namespace Mqtt.Codec;

/// <summary>
/// The payload of a SUBSCRIBE, kept in its wire encoding (filter, options byte, ...) so that reading
/// it allocates nothing. Enumerate it for the subscriptions.
/// </summary>
public readonly struct SubscriptionList
{
    private readonly ReadOnlySequence<byte> _encoded;

    internal SubscriptionList(ReadOnlySequence<byte> encoded, int count)
    {
        _encoded = encoded;
        Count = count;
    }

    /// <summary>How many subscriptions there are.</summary>
    public int Count { get; }

    internal long EncodedLength => _encoded.Length;

    /// <summary>Encodes subscriptions for a packet being built.</summary>
    public static SubscriptionList Create(params ReadOnlySpan<Subscription> subscriptions)
    {
        int length = 0;
        foreach (Subscription s in subscriptions)
        {
            length += 3 + (int)s.TopicFilter.Length;
        }
        var output = new ArrayBufferWriter<byte>(Math.Max(length, 1));
        var w = new PacketWriter(output, length);
        foreach (Subscription s in subscriptions)
        {
            w.WriteBinary(s.TopicFilter);
            w.WriteByte(s.Options);
        }
        w.Commit();
        return new SubscriptionList(new ReadOnlySequence<byte>(output.WrittenMemory), subscriptions.Length);
    }

    /// <summary>Enumerates the subscriptions.</summary>
    public Enumerator GetEnumerator() => new(_encoded);

    internal void WriteTo(ref PacketWriter w, ProtocolVersion version)
    {
        if (version == ProtocolVersion.V500)
        {
            w.WriteBytes(_encoded);
            return;
        }
        foreach (Subscription s in this)
        {
            // 3.1.1 has only the Requested QoS in this byte; the MQTT 5 options do not exist there.
            w.WriteBinary(s.TopicFilter);
            w.WriteByte((byte)s.MaximumQoS);
        }
    }

    /// <summary>Walks the encoded subscriptions.</summary>
    public ref struct Enumerator
    {
        private SequenceReader<byte> _reader;

        internal Enumerator(ReadOnlySequence<byte> encoded) => _reader = new SequenceReader<byte>(encoded);

        /// <summary>The current subscription.</summary>
        public Subscription Current { get; private set; }

        /// <summary>Advances to the next subscription.</summary>
        public bool MoveNext()
        {
            if (!_reader.TryReadBigEndian(out short length))
            {
                return false;
            }
            ReadOnlySequence<byte> filter = _reader.Sequence.Slice(_reader.Position, (ushort)length);
            _reader.Advance((ushort)length);
            _reader.TryRead(out byte options);
            Current = Subscription.FromOptions(filter, options);
            return true;
        }
    }
}
