using System.Text;
using Mqtt.Broker;
using Mqtt.Codec;
using Mqtt.Security.Credentials;
using Mqtt.Security.Scram;
using MQTTnet;

namespace Mqtt.Auth.Tests;

/// <summary>Removing a user takes effect at once: live connections closed, persistent sessions dropped.</summary>
public sealed class RevocationTests
{
    [Fact]
    public async Task A_user_removed_with_mqttcore_user_remove_is_disconnected_with_0x98_and_loses_the_persistent_session()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await broker.AddUserAsync("alice", "pw-alice");
        using IMqttClient alice = new MqttClientFactory().CreateMqttClient();
        var disconnected = new TaskCompletionSource<MqttClientDisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        alice.DisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e.Reason);
            return Task.CompletedTask;
        };
        MqttClientOptions Options(string password) => MqttNet.Options(broker.EndPoint, "alice-phone")
            .WithScram(new RfcScram("SCRAM-SHA-256", "alice", password)).WithCleanStart(false).WithSessionExpiryInterval(3600).Build();
        Assert.Equal(MqttClientConnectResultCode.Success, (await MqttNet.ConnectAsync(alice, Options("pw-alice"))).Code);
        await alice.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("alice/inbox").Build());

        (int exitCode, _, string error) = await Cli.RunAsync(null, "user", "remove", "alice", "--data", broker.DataDirectory);

        Assert.True(exitCode == 0, error);
        Assert.Equal(MqttClientDisconnectReason.AdministrativeAction, await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.False(broker.Security.Credentials.TryGet("alice", out _));
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, (await MqttNet.ConnectAsync(new MqttClientFactory().CreateMqttClient(), Options("pw-alice"))).Code);

        // Re-created under the same name, she starts from nothing: the old session and its subscription are gone.
        (exitCode, _, error) = await Cli.RunAsync("pw-new\n", "user", "add", "alice", "--password-stdin", "--data", broker.DataDirectory);
        Assert.True(exitCode == 0, error);
        using IMqttClient again = new MqttClientFactory().CreateMqttClient();
        (MqttClientConnectResultCode code, MqttClientConnectResult? result) = await MqttNet.ConnectAsync(again, Options("pw-new"));
        Assert.Equal(MqttClientConnectResultCode.Success, code);
        Assert.False(result!.IsSessionPresent);
    }

    [Fact]
    public async Task Revoking_drops_an_offline_session_so_queued_messages_are_not_delivered_to_a_new_owner()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await broker.AddUserAsync("alice", "pw-alice");
        using (IMqttClient alice = await MqttNet.ConnectPlainAsync(broker.EndPoint, "alice", "pw-alice", "alice-laptop", cleanStart: false, sessionExpiry: 3600))
        {
            await alice.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("news", MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build());
            await alice.DisconnectAsync();
        }

        Assert.True(await broker.Security.Credentials.TryRemoveAsync("alice"));
        await broker.AddUserAsync("alice", "pw-alice2");
        using IMqttClient back = new MqttClientFactory().CreateMqttClient();
        (MqttClientConnectResultCode code, MqttClientConnectResult? result) = await MqttNet.ConnectAsync(back,
            MqttNet.Options(broker.EndPoint, "alice-laptop").WithCredentials("alice", "pw-alice2").WithCleanStart(false).WithSessionExpiryInterval(3600).Build());
        Assert.Equal(MqttClientConnectResultCode.Success, code);
        Assert.False(result!.IsSessionPresent);
        Assert.Contains(broker.Log.Lines, l => l.Contains("revoked user \"alice\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_SCRAM_login_begun_before_the_users_removal_and_finished_after_it_is_refused_with_0x86()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await broker.AddUserAsync("alice", "pw-alice");
        await using PendingScramLogin login = await PendingScramLogin.BeginAsync(broker, "alice", "pw-alice", sessionExpiry: 3600);

        // Removed (and revoked) while the exchange waits for the client-final-message, which the client may delay.
        Assert.True(await broker.Security.Credentials.TryRemoveAsync("alice"));

        Received answer = await login.FinishAsync();
        Assert.Equal((PacketType.ConnAck, ReasonCode.BadUserNameOrPassword), (answer.Type, answer.ReasonCode));
        Assert.Null(broker.Broker.ConnectionOf("alice-dev"));
        Assert.Equal(0, broker.Broker.SessionCount);
    }

    [Theory]
    [InlineData("removed and made anew")]
    [InlineData("given a new password")]
    public async Task A_SCRAM_login_with_the_old_password_begun_before_the_user_was_changed_is_refused_with_0x86(string change)
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await broker.AddUserAsync("alice", "old-pw");
        await using PendingScramLogin login = await PendingScramLogin.BeginAsync(broker, "alice", "old-pw");

        // An administrator resets the account while the exchange waits for the client-final-message.
        UserCredentials renewed = UserCredentials.Derive("alice", "new-pw", ScramVerifier.MinimumIterationCount);
        if (change == "removed and made anew")
        {
            Assert.True(await broker.Security.Credentials.TryRemoveAsync("alice"));
            Assert.True(await broker.Security.Credentials.TryAddAsync(renewed));
        }
        else
        {
            Assert.True(await broker.Security.Credentials.TryReplaceAsync(renewed));
        }

        Received answer = await login.FinishAsync();
        Assert.Equal((PacketType.ConnAck, ReasonCode.BadUserNameOrPassword), (answer.Type, answer.ReasonCode));
        Assert.Null(broker.Broker.ConnectionOf("alice-dev"));
    }

    /// <summary>A change to another user reloads the whole file (new entries for everyone): a login in flight still goes through.</summary>
    [Fact]
    public async Task A_SCRAM_login_begun_before_another_user_was_removed_succeeds()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await broker.AddUserAsync("alice", "pw-alice");
        await broker.AddUserAsync("bob", "pw-bob");
        await using PendingScramLogin login = await PendingScramLogin.BeginAsync(broker, "alice", "pw-alice");

        Assert.True(await broker.Security.Credentials.TryRemoveAsync("bob"));
        broker.Security.Credentials.Refresh();

        Received answer = await login.FinishAsync();
        Assert.Equal((PacketType.ConnAck, ReasonCode.Success), (answer.Type, answer.ReasonCode));
    }
}

/// <summary>A SCRAM login of client id alice-dev stopped after the server-first-message, to be finished after a change.</summary>
internal sealed class PendingScramLogin(RawMqttClient client, RfcScram scram, Received serverFirst) : IAsyncDisposable
{
    public static async Task<PendingScramLogin> BeginAsync(TestBroker broker, string user, string password, uint sessionExpiry = 0)
    {
        RawMqttClient client = await RawMqttClient.OpenAsync(broker.EndPoint);
        var scram = new RfcScram("SCRAM-SHA-256", user, password);
        await client.SendConnectAsync("alice-dev", method: "SCRAM-SHA-256", data: Encoding.UTF8.GetBytes(scram.ClientFirst()),
            cleanStart: sessionExpiry == 0, sessionExpiry: sessionExpiry);
        Received serverFirst = await client.ReceiveAsync();
        Assert.Equal(PacketType.Auth, serverFirst.Type);
        return new PendingScramLogin(client, scram, serverFirst);
    }

    /// <summary>Sends the client-final-message; returns the broker's answer.</summary>
    public async Task<Received> FinishAsync()
    {
        await client.SendAuthAsync(ReasonCode.ContinueAuthentication, "SCRAM-SHA-256", scram.ClientFinal(serverFirst.AuthenticationText));
        return await client.ReceiveAsync();
    }

    public ValueTask DisposeAsync() => client.DisposeAsync();
}
