using System.Buffers;

namespace Mqtt.Codec;

/// <summary>
/// Walks an already validated property block and stops at each occurrence of one property id,
/// leaving <see cref="Reader"/> at the start of its value. Used for the properties that may repeat.
/// </summary>
internal ref struct RepeatedPropertyCursor
{
    private readonly PropertyId _id;

    public RepeatedPropertyCursor(ReadOnlySequence<byte> block, PropertyId id)
    {
        Reader = new SequenceReader<byte>(block);
        _id = id;
    }

    public SequenceReader<byte> Reader;

    public bool MoveNext()
    {
        while (Reader.TryRead(out byte id))
        {
            if ((PropertyId)id == _id)
            {
                return true;
            }
            PropertyTable.SkipValue(ref Reader, (PropertyId)id);
        }
        return false;
    }
}
