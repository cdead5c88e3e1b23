namespace Mqtt.Codec;

/// <summary>The Protocol Version (3.1.1 calls it Protocol Level) byte of CONNECT.</summary>
public enum ProtocolVersion : byte
{
    /// <summary>MQTT 3.1.1.</summary>
    V311 = 4,
    /// <summary>MQTT 5.0.</summary>
    V500 = 5,
}
