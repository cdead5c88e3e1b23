namespace Mqtt.Codec;

/// <summary>The Protocol Version (3.1.1 calls it Protocol Level) byte of CONNECT.</summary>
public enum ProtocolVersion : byte
{
    /// <summary>
    /// MQTT 3.1 (protocol name <c>MQIsdp</c>), the version before the OASIS standard, still spoken by old clients. Its
    /// packets are those of 3.1.1 but for CONNECT's protocol name and CONNACK's first byte (reserved, so Session Present
    /// is never sent); everything else reads and writes it as 3.1.1.
    /// </summary>
    V310 = 3,
    /// <summary>MQTT 3.1.1.</summary>
    V311 = 4,
    /// <summary>MQTT 5.0.</summary>
    V500 = 5,
}
