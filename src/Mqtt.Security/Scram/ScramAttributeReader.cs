namespace Mqtt.Security.Scram;

/// <summary>
/// Walks the comma-separated <c>attr-val</c> list of a SCRAM message (RFC 5802 section 7:
/// <c>attr-val = ALPHA "=" value</c>, <c>value = 1*value-char</c>, no NUL, no comma).
/// </summary>
internal ref struct ScramAttributeReader
{
    private readonly ReadOnlySpan<char> _message;
    private int _next;

    public ScramAttributeReader(ReadOnlySpan<char> message)
    {
        _message = message;
        _next = 0;
        AttributeStart = 0;
    }

    /// <summary>True when every attribute has been read.</summary>
    public readonly bool IsAtEnd => _next > _message.Length;

    /// <summary>Offset in the message of the attribute last read.</summary>
    public int AttributeStart { get; private set; }

    /// <summary>Reads the next attribute; false when there is none or it is not <c>ALPHA "=" value</c>.</summary>
    public bool TryRead(out char name, out ReadOnlySpan<char> value)
    {
        name = '\0';
        value = default;
        if (IsAtEnd)
        {
            return false;
        }

        AttributeStart = _next;
        ReadOnlySpan<char> rest = _message[_next..];
        int comma = rest.IndexOf(',');
        ReadOnlySpan<char> attribute = comma < 0 ? rest : rest[..comma];

        // Past the end when this was the last attribute; a trailing comma leaves an empty one to fail on.
        _next = comma < 0 ? _message.Length + 1 : _next + comma + 1;

        if (attribute.Length < 3 || !char.IsAsciiLetter(attribute[0]) || attribute[1] != '=' || attribute.Contains('\0'))
        {
            return false;
        }

        name = attribute[0];
        value = attribute[2..];
        return true;
    }
}
