using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>The UNSUBACK (section 3.11): one reason code per Topic Filter (MQTT 3.1.1 has none, so Success is reported).</summary>
public sealed class MqttUnsubscribeResult
{
    /// <summary>Success, No subscription existed (0x11), or a failure (0x80 and above) per filter.</summary>
    public required IReadOnlyList<ReasonCode> ReasonCodes { get; init; }

    /// <summary>MQTT 5 Reason String.</summary>
    public string? ReasonString { get; init; }

    /// <summary>MQTT 5 User Properties.</summary>
    public IReadOnlyList<MqttUserProperty> UserProperties { get; init; } = [];
}
