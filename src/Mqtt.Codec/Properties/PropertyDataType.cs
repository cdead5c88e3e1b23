namespace Mqtt.Codec;

/// <summary>The data types of section 1.5 that properties use.</summary>
internal enum PropertyDataType : byte
{
    Unknown,
    Byte,
    TwoByteInteger,
    FourByteInteger,
    VariableByteInteger,
    Utf8String,
    BinaryData,
    Utf8StringPair,
}
