using MQTTnet;
using MQTTnet.Protocol;

namespace Mqtt.Interop.Tests.MqttNet;

/// <summary>MQTTnet's side of "TEST-CHALLENGE": answers the broker's nonce with HMAC(key, nonce).</summary>
internal sealed class ChallengeResponder(byte[] key) : IMqttEnhancedAuthenticationHandler
{
    /// <summary>The nonce the broker sent, to check its final proof.</summary>
    public byte[]? Nonce { get; private set; }

    public int Rounds { get; private set; }

    public async Task HandleEnhancedAuthenticationAsync(MqttEnhancedAuthenticationEventArgs eventArgs)
    {
        Rounds++;
        Assert.Equal(ChallengeAuthenticator.Name, eventArgs.AuthenticationMethod);
        Assert.Equal(MqttAuthenticateReasonCode.ContinueAuthentication, eventArgs.ReasonCode);
        Nonce = eventArgs.AuthenticationData;
        await eventArgs.SendAsync(new SendMqttEnhancedAuthenticationDataOptions { Data = ChallengeAuthenticator.Answer(key, Nonce) }, eventArgs.CancellationToken);
    }
}
