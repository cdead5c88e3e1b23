namespace Mqtt.Client;

/// <summary>
/// A QoS 2 message received and not yet released by PUBREL (section 4.3.3): whether its PUBREC went out, so a
/// re-sent PUBLISH is answered with PUBREC again instead of being delivered twice [MQTT-4.3.3-10].
/// </summary>
internal sealed class ExactlyOnceReceipt
{
    /// <summary>1 once the application acknowledged the message (PUBREC sent).</summary>
    public int Acknowledged;
}
