using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>The Will Message (section 3.1.2.5): published by the server when the connection ends without a normal DISCONNECT.</summary>
public sealed class MqttWill
{
    /// <summary>Will Topic.</summary>
    public required string Topic { get; init; }

    /// <summary>Will Payload.</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>Will QoS.</summary>
    public QualityOfService QoS { get; init; }

    /// <summary>Will Retain.</summary>
    public bool Retain { get; init; }

    /// <summary>MQTT 5 Will Delay Interval in seconds.</summary>
    public uint? DelayInterval { get; init; }

    /// <summary>MQTT 5 Message Expiry Interval in seconds.</summary>
    public uint? MessageExpiryInterval { get; init; }

    /// <summary>MQTT 5 Content Type.</summary>
    public string? ContentType { get; init; }

    /// <summary>MQTT 5 User Properties.</summary>
    public IReadOnlyList<MqttUserProperty> UserProperties { get; init; } = [];
}
