using System.Buffers;

namespace Mqtt.Codec;

/// <summary>The Will of a CONNECT (sections 3.1.2.5 and 3.1.3.2-3.1.3.4): published when the connection ends badly.</summary>
public readonly struct WillMessage
{
    /// <summary>Will Topic.</summary>
    public ReadOnlySequence<byte> Topic { get; init; }

    /// <summary>Will Payload.</summary>
    public ReadOnlySequence<byte> Payload { get; init; }

    /// <summary>Will QoS.</summary>
    public QualityOfService QoS { get; init; }

    /// <summary>Will Retain.</summary>
    public bool Retain { get; init; }

    /// <summary>MQTT 5 Will Properties.</summary>
    public MqttProperties Properties { get; init; }
}
