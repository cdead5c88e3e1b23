using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>The SUBACK (section 3.9): one reason code per Topic Filter, in the order they were asked.</summary>
public sealed class MqttSubscribeResult
{
    /// <summary>Granted QoS 0/1/2 (0x00-0x02) or a failure (0x80 and above) per filter.</summary>
    public required IReadOnlyList<ReasonCode> ReasonCodes { get; init; }

    /// <summary>MQTT 5 Reason String.</summary>
    public string? ReasonString { get; init; }

    /// <summary>MQTT 5 User Properties.</summary>
    public IReadOnlyList<MqttUserProperty> UserProperties { get; init; } = [];
}
