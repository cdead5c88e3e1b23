using MQTTnet;
using MQTTnet.Protocol;

namespace Mqtt.Interop.Tests.MqttNet;

/// <summary>
/// MQTTnet's side of "TEST-CHALLENGE": answers the broker's nonce (AUTH 0x18) with HMAC(key, nonce); after a
/// re-authentication, MQTTnet also hands it the broker's AUTH 0x00 Success.
/// </summary>
internal sealed class ChallengeResponder(byte[] key) : IMqttEnhancedAuthenticationHandler
{
    private readonly TaskCompletionSource<byte[]> _reauthenticated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The last nonce the broker sent, to check its proof.</summary>
    public byte[]? Nonce { get; private set; }

    /// <summary>Challenges answered.</summary>
    public int Rounds { get; private set; }

    /// <summary>Authentication Data of an AUTH 0x00 Success (the end of a re-authentication).</summary>
    public Task<byte[]> Reauthenticated => _reauthenticated.Task;

    public async Task HandleEnhancedAuthenticationAsync(MqttEnhancedAuthenticationEventArgs eventArgs)
    {
        Assert.Equal(ChallengeAuthenticator.Name, eventArgs.AuthenticationMethod);
        if (eventArgs.ReasonCode == MqttAuthenticateReasonCode.Success)
        {
            _reauthenticated.TrySetResult(eventArgs.AuthenticationData);
            return;
        }
        Assert.Equal(MqttAuthenticateReasonCode.ContinueAuthentication, eventArgs.ReasonCode);
        Rounds++;
        Nonce = eventArgs.AuthenticationData;
        await eventArgs.SendAsync(new SendMqttEnhancedAuthenticationDataOptions { Data = ChallengeAuthenticator.Answer(key, Nonce) }, eventArgs.CancellationToken);
    }
}
