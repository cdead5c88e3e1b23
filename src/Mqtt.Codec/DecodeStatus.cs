namespace Mqtt.Codec;

/// <summary>Outcome of trying to read a packet from buffered bytes.</summary>
public enum DecodeStatus
{
    /// <summary>A whole packet was read.</summary>
    Complete,
    /// <summary>The bytes so far are a valid prefix; wait for more. Nothing was consumed.</summary>
    NeedMoreData,
    /// <summary>The bytes break a rule of the spec; <see cref="DecodeError"/> says which.</summary>
    Invalid,
}
