using System.Text;
using Mqtt.Codec;
using MQTTnet;

namespace Mqtt.Auth.Tests;

/// <summary>SCRAM over the AUTH exchange, from a client that is not ours (MQTTnet 5 with an RFC-written handler) and from raw packets.</summary>
public sealed class ScramLoginTests
{
    [Theory]
    [InlineData("SCRAM-SHA-256")]
    [InlineData("SCRAM-SHA-512")]
    public async Task MQTTnet_client_with_an_RFC_SCRAM_handler_logs_in_and_verifies_the_server(string mechanism)
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await broker.AddUserAsync("alice", "correct horse");
        var scram = new RfcScram(mechanism, "alice", "correct horse");
        using IMqttClient client = new MqttClientFactory().CreateMqttClient();

        (MqttClientConnectResultCode code, MqttClientConnectResult? result) = await MqttNet.ConnectAsync(client,
            MqttNet.Options(broker.EndPoint, "alice-1").WithCredentials("alice").WithScram(scram).Build());

        Assert.Equal(MqttClientConnectResultCode.Success, code);
        Assert.Equal(mechanism, result!.AuthenticationMethod);
        Assert.True(scram.VerifyServerFinal(Encoding.UTF8.GetString(result.AuthenticationData)), "server-final must prove the broker knows the verifier");
        await client.DisconnectAsync();
    }

    [Fact]
    public async Task The_broker_logs_one_line_naming_the_user_a_SCRAM_login_proved_even_without_a_CONNECT_user_name()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await broker.AddUserAsync("alice", "correct horse");
        using IMqttClient client = new MqttClientFactory().CreateMqttClient();

        (MqttClientConnectResultCode code, _) = await MqttNet.ConnectAsync(client,
            MqttNet.Options(broker.EndPoint, "alice-1").WithScram(new RfcScram("SCRAM-SHA-256", "alice", "correct horse")).Build());

        Assert.Equal(MqttClientConnectResultCode.Success, code);
        Assert.Single(broker.Log.Lines, l => l.Contains("user=\"alice\"", StringComparison.Ordinal) && l.Contains("success", StringComparison.Ordinal));
        Assert.Contains(broker.Log.Lines, l => l.Contains("audit login success: user=\"alice\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reauthentication_with_AUTH_0x19_runs_the_same_exchange_and_a_failure_disconnects_with_0x87()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await broker.AddUserAsync("alice", "pw-alice");
        await using RawMqttClient client = await Scram.LoginAsync(broker, "alice", "pw-alice");

        var again = new RfcScram("SCRAM-SHA-256", "alice", "pw-alice");
        await client.SendAuthAsync(ReasonCode.ReAuthenticate, "SCRAM-SHA-256", again.ClientFirst());
        Received serverFirst = await client.ReceiveAsync();
        Assert.Equal((PacketType.Auth, ReasonCode.ContinueAuthentication), (serverFirst.Type, serverFirst.ReasonCode));
        await client.SendAuthAsync(ReasonCode.ContinueAuthentication, "SCRAM-SHA-256", again.ClientFinal(serverFirst.AuthenticationText));
        Received done = await client.ReceiveAsync();
        Assert.Equal((PacketType.Auth, ReasonCode.Success), (done.Type, done.ReasonCode));
        Assert.True(again.VerifyServerFinal(done.AuthenticationText));

        var wrong = new RfcScram("SCRAM-SHA-256", "alice", "not her password");
        await client.SendAuthAsync(ReasonCode.ReAuthenticate, "SCRAM-SHA-256", wrong.ClientFirst());
        Received first = await client.ReceiveAsync();
        await client.SendAuthAsync(ReasonCode.ContinueAuthentication, "SCRAM-SHA-256", wrong.ClientFinal(first.AuthenticationText));
        Received refused = await client.ReceiveAsync();
        Assert.Equal((PacketType.Disconnect, ReasonCode.NotAuthorized), (refused.Type, refused.ReasonCode));
    }

    /// <summary>Not a timing test: it checks that the work only unknown names used to do (the decoy) runs for known ones too.</summary>
    [Fact]
    public async Task Known_and_unknown_names_both_pay_for_a_decoy_before_the_server_first()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await broker.AddUserAsync("alice", "pw-alice");

        await using (await Scram.LoginAsync(broker, "alice", "pw-alice"))
        {
            Assert.Equal(1, broker.Security.DecoysCreated);
        }

        await Scram.AttemptAsync(broker, "ghost", "pw-ghost");
        Assert.Equal(2, broker.Security.DecoysCreated);
    }

    /// <summary>
    /// A plain-password login under an unknown name pays for a password check against a decoy, as a known name pays for
    /// its own (not a timing test: it counts the decoy; removing it passed every test before).
    /// </summary>
    [Fact]
    public async Task An_unknown_name_with_a_plain_password_is_checked_against_a_decoy()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await broker.AddUserAsync("alice", "pw-alice");
        using (IMqttClient alice = await MqttNet.ConnectPlainAsync(broker.EndPoint, "alice", "pw-alice"))
        {
            Assert.Equal(0, broker.Security.DecoysCreated);
        }

        using IMqttClient ghost = new MqttClientFactory().CreateMqttClient();
        (MqttClientConnectResultCode code, _) = await MqttNet.ConnectAsync(ghost, MqttNet.Options(broker.EndPoint, "ghost-1").WithCredentials("ghost", "pw-ghost").Build());
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, code);

        Assert.Equal(1, broker.Security.DecoysCreated);
    }

    [Fact]
    public async Task An_unknown_user_looks_like_a_wrong_password_with_a_salt_stable_per_name()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await broker.AddUserAsync("alice", "pw-alice");

        (Received aliceFirst, Received aliceEnd) = await Scram.AttemptAsync(broker, "alice", "wrong");
        (Received ghostFirst, Received ghostEnd) = await Scram.AttemptAsync(broker, "ghost", "wrong");
        (Received ghostAgain, _) = await Scram.AttemptAsync(broker, "ghost", "other");
        (Received otherGhost, _) = await Scram.AttemptAsync(broker, "ghost2", "wrong");

        Assert.Equal((PacketType.ConnAck, ReasonCode.BadUserNameOrPassword), (aliceEnd.Type, aliceEnd.ReasonCode));
        Assert.Equal((PacketType.ConnAck, ReasonCode.BadUserNameOrPassword), (ghostEnd.Type, ghostEnd.ReasonCode));
        Assert.Equal(Shape(aliceFirst.AuthenticationText), Shape(ghostFirst.AuthenticationText));
        Assert.Equal(Salt(ghostFirst.AuthenticationText), Salt(ghostAgain.AuthenticationText));
        Assert.NotEqual(Salt(ghostFirst.AuthenticationText), Salt(otherGhost.AuthenticationText));
        Assert.Contains(broker.Log.Lines, l => l.Contains("audit login failure", StringComparison.Ordinal) && l.Contains("unknown user", StringComparison.Ordinal));
        Assert.DoesNotContain(broker.Log.Lines, l => l.Contains("wrong", StringComparison.Ordinal) && l.Contains("p=", StringComparison.Ordinal));

        static string Shape(string serverFirst) => string.Join(',', serverFirst.Split(',').Select(a => a[..2] + a.Length));

        static string Salt(string serverFirst) => serverFirst.Split(',')[1];
    }

    /// <summary>
    /// Registrations with another iteration count do not move the decoys: when decoys followed the most common count,
    /// registering as many users at 4,097 as there were at 4,096 made every unknown name answer i=4097 and every
    /// other user stand out (found by review of that change, which was reverted).
    /// </summary>
    [Fact]
    public async Task Registrations_with_another_iteration_count_do_not_move_the_decoys()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await broker.AddUserAsync("alice", "pw-alice");
        for (int i = 0; i < 3; i++)
        {
            Received registered = await RegistrationTests.RegisterAsync(broker, Mqtt.Security.Credentials.ScramRegistration.Encode(
                Mqtt.Security.Credentials.UserCredentials.Derive($"mallory{i}", "pw", 4097)));
            Assert.Equal((PacketType.ConnAck, ReasonCode.Success), (registered.Type, registered.ReasonCode));
        }

        (Received aliceFirst, _) = await Scram.AttemptAsync(broker, "alice", "wrong");
        (Received ghostFirst, _) = await Scram.AttemptAsync(broker, "ghost", "wrong");

        Assert.EndsWith(",i=4096", aliceFirst.AuthenticationText, StringComparison.Ordinal);
        Assert.EndsWith(",i=4096", ghostFirst.AuthenticationText, StringComparison.Ordinal);
    }
}

/// <summary>Raw SCRAM logins for the attack tests.</summary>
internal static class Scram
{
    public static async Task<RawMqttClient> LoginAsync(TestBroker broker, string user, string password, string? clientId = null)
    {
        RawMqttClient client = await RawMqttClient.OpenAsync(broker.EndPoint);
        var scram = new RfcScram("SCRAM-SHA-256", user, password);
        await client.SendConnectAsync(clientId ?? user + "-raw", method: "SCRAM-SHA-256", data: Encoding.UTF8.GetBytes(scram.ClientFirst()));
        Received serverFirst = await client.ReceiveAsync();
        await client.SendAuthAsync(ReasonCode.ContinueAuthentication, "SCRAM-SHA-256", scram.ClientFinal(serverFirst.AuthenticationText));
        Received connAck = await client.ReceiveAsync();
        Assert.Equal((PacketType.ConnAck, ReasonCode.Success), (connAck.Type, connAck.ReasonCode));
        Assert.True(scram.VerifyServerFinal(connAck.AuthenticationText));
        return client;
    }

    /// <summary>One full exchange; returns the server-first AUTH and the final answer.</summary>
    public static async Task<(Received ServerFirst, Received End)> AttemptAsync(TestBroker broker, string user, string password)
    {
        await using RawMqttClient client = await RawMqttClient.OpenAsync(broker.EndPoint);
        var scram = new RfcScram("SCRAM-SHA-256", user, password);
        await client.SendConnectAsync("probe", method: "SCRAM-SHA-256", data: Encoding.UTF8.GetBytes(scram.ClientFirst()));
        Received serverFirst = await client.ReceiveAsync();
        Assert.Equal((PacketType.Auth, ReasonCode.ContinueAuthentication), (serverFirst.Type, serverFirst.ReasonCode));
        await client.SendAuthAsync(ReasonCode.ContinueAuthentication, "SCRAM-SHA-256", scram.ClientFinal(serverFirst.AuthenticationText));
        return (serverFirst, await client.ReceiveAsync());
    }
}
