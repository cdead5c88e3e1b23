namespace Mqtt.Client.Tests;

/// <summary>How a connection attempt ends, from the client's point of view.</summary>
public enum ExpectedEnd
{
    /// <summary>The bytes ran out (the server closed): MqttConnectionLostException without a reason code.</summary>
    Closed,

    /// <summary>A CONNACK of 0x80 or above: MqttConnectException.</summary>
    Refused,

    /// <summary>The server broke the protocol: MqttProtocolException, and in MQTT 5 a DISCONNECT with the same code.</summary>
    ProtocolViolation,

    /// <summary>The server sent DISCONNECT: MqttConnectionLostException with its reason code.</summary>
    ServerDisconnected,
}
