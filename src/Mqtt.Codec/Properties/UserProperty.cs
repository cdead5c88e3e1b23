using System.Buffers;

namespace Mqtt.Codec;

/// <summary>A User Property (UTF-8 String Pair): name and value as slices of the packet.</summary>
public readonly record struct UserProperty(ReadOnlySequence<byte> Name, ReadOnlySequence<byte> Value)
{
    /// <summary>The name as a string.</summary>
    public string NameString => MqttUtf8.GetString(Name);

    /// <summary>The value as a string.</summary>
    public string ValueString => MqttUtf8.GetString(Value);
}
