namespace Mqtt.Client;

/// <summary>The server did not complete the connection (CONNACK, or the authentication exchange) within <see cref="MqttClientOptions.ConnectTimeout"/>.</summary>
public sealed class MqttTimeoutException : MqttException
{
    /// <summary>Creates the exception.</summary>
    public MqttTimeoutException(string message) : base(message)
    {
    }
}
