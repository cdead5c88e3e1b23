namespace Mqtt.Client;

/// <summary>The server refused the connection: its CONNACK carried a reason code of 0x80 or above.</summary>
public sealed class MqttConnectException : MqttException
{
    /// <summary>Creates the exception from the refusing CONNACK.</summary>
    public MqttConnectException(MqttConnectResult result)
        : base($"refused: {MqttReasonCodeText.Format(result.ReasonCode)}" + (result.ReasonString is null ? "" : $" ({result.ReasonString})"), result.ReasonCode)
        => Result = result;

    /// <summary>The CONNACK as received.</summary>
    public MqttConnectResult Result { get; }
}
