using Mqtt.Codec;
using Mqtt.MqttnetServer;
using Mqtt.Security.Scram;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>perf/Mqtt.MqttnetServer, the MQTTnet host of perf/compare.sh: anonymous clients, and SCRAM-SHA-256 done by our ScramServer.</summary>
public sealed class MqttnetServerHostTests
{
    private const string User = "bench";
    private const string Password = "bench-password";

    private static async Task<MqttnetServerHost> StartAsync()
    {
        var host = new MqttnetServerHost(FreePort.Next(), new ScramLogin(User, Password));
        await host.StartAsync();
        await FreePort.WaitUntilAcceptingAsync(host.Port, Patience);
        return host;
    }

    [Fact]
    public async Task Our_client_logs_in_with_SCRAM_SHA_256_and_the_host_proves_it_knows_the_verifier()
    {
        await using MqttnetServerHost host = await StartAsync();
        var handler = new ScramAuthenticationHandler(ScramMechanism.Sha256, User, Password);

        await using MqttClient client = await ConnectAsync(host.Port, configure: o => o.AuthenticationHandler = handler);

        Assert.True(handler.IsServerAuthenticated);
        Assert.Equal(ScramMechanism.Sha256.Name, client.ConnectResult!.AuthenticationMethod);
        await client.SubscribeAsync("scram/t", QualityOfService.AtLeastOnce);
        await client.PublishAsync("scram/t", Bytes("after login"), QualityOfService.AtLeastOnce);
        Assert.Equal("after login", Text((await client.ReceiveAsync(1))[0]));
    }

    [Fact]
    public async Task A_wrong_password_gets_CONNACK_0x86()
    {
        await using MqttnetServerHost host = await StartAsync();
        await using var client = new MqttClient(Options(host.Port));
        client.Options.AuthenticationHandler = new ScramAuthenticationHandler(ScramMechanism.Sha256, User, "not the password");

        MqttConnectException e = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());

        Assert.Equal(ReasonCode.BadUserNameOrPassword, e.Result.ReasonCode);
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task An_unknown_user_gets_CONNACK_0x86()
    {
        await using MqttnetServerHost host = await StartAsync();
        await using var client = new MqttClient(Options(host.Port));
        client.Options.AuthenticationHandler = new ScramAuthenticationHandler(ScramMechanism.Sha256, "someone-else", Password);

        MqttConnectException e = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());

        Assert.Equal(ReasonCode.BadUserNameOrPassword, e.Result.ReasonCode);
    }

    [Fact]
    public async Task A_client_without_credentials_is_accepted_anonymously()
    {
        await using MqttnetServerHost host = await StartAsync();

        await using MqttClient client = await ConnectAsync(host.Port);

        Assert.True(client.IsConnected);
        Assert.Null(client.ConnectResult!.AuthenticationMethod);
    }
}
