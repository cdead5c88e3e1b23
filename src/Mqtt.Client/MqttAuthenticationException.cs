using Mqtt.Codec;

namespace Mqtt.Client;

/// <summary>
/// Enhanced authentication failed on the client's side: the handler rejected the server's data (the server
/// could not prove itself), or the server answered with another method.
/// </summary>
public sealed class MqttAuthenticationException : MqttException
{
    /// <summary>Creates the exception.</summary>
    public MqttAuthenticationException(string message, ReasonCode? reasonCode = null, Exception? innerException = null)
        : base(message, reasonCode, innerException)
    {
    }
}
