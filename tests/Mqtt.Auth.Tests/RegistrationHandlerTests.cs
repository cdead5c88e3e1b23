using Mqtt.Client;
using Mqtt.Codec;
using Mqtt.Security.Credentials;
using Mqtt.Security.Hpke;

namespace Mqtt.Auth.Tests;

/// <summary>The client's side of the sealed registration, step by step, without a broker.</summary>
public sealed class RegistrationHandlerTests
{
    [Fact]
    public async Task It_asks_for_a_key_in_CONNECT_and_seals_the_verifiers_to_the_key_it_gets()
    {
        var handler = new RegistrationHandler("quinn", "pw-quinn");
        using HpkePrivateKey brokerKey = DhkemP256.GenerateKeyPair();

        ReadOnlyMemory<byte>? request = await handler.StartAsync(false, default);
        ReadOnlyMemory<byte>? sealedData = await handler.ContinueAsync(brokerKey.PublicKey.Encoded.ToArray(), default);

        Assert.Equal(SealedScramRegistration.Request.ToArray(), request.GetValueOrDefault().ToArray());
        Assert.True(SealedScramRegistration.TryOpen(sealedData.GetValueOrDefault().Span, brokerKey, out UserCredentials? opened, out _));
        Assert.Equal(handler.Credentials.FormatLine(), opened.FormatLine());
        Assert.True(await handler.CompleteAsync(null, default));
    }

    [Fact]
    public async Task A_server_key_that_is_not_a_P256_point_fails_the_exchange_with_a_protocol_error()
    {
        var handler = new RegistrationHandler("quinn", "pw-quinn");
        await handler.StartAsync(false, default);
        byte[] notAPoint = new byte[SealedScramRegistration.BrokerKeySize];
        notAPoint[0] = 0x04;

        MqttAuthenticationException refused = await Assert.ThrowsAsync<MqttAuthenticationException>(() => handler.ContinueAsync(notAPoint, default).AsTask());

        Assert.Equal(ReasonCode.ProtocolError, refused.ReasonCode);
    }

    [Fact]
    public async Task A_second_AUTH_from_the_server_fails_the_exchange()
    {
        var handler = new RegistrationHandler("quinn", "pw-quinn");
        using HpkePrivateKey brokerKey = DhkemP256.GenerateKeyPair();
        await handler.StartAsync(false, default);
        await handler.ContinueAsync(brokerKey.PublicKey.Encoded.ToArray(), default);

        await Assert.ThrowsAsync<MqttAuthenticationException>(() => handler.ContinueAsync(brokerKey.PublicKey.Encoded.ToArray(), default).AsTask());
    }

    /// <summary>A server answering CONNACK 0x00 without asking for the verifiers registered nothing: the client must not call that a success.</summary>
    [Fact]
    public async Task A_success_without_the_sealed_step_is_not_accepted()
    {
        var handler = new RegistrationHandler("quinn", "pw-quinn");
        await handler.StartAsync(false, default);
        Assert.False(await handler.CompleteAsync(null, default));
    }
}
