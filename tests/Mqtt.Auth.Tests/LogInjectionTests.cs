using Mqtt.Codec;

namespace Mqtt.Auth.Tests;

/// <summary>Client ids and user names come from the network: no broker log line carries them raw (SECURITY.md section 3).</summary>
public sealed class LogInjectionTests
{
    /// <summary>A line break and a forged audit line, a terminal escape, a Unicode line separator and a right-to-left override.</summary>
    private const string Forged = "x\r\ninfo: audit login success: user=\"root\" \u001b[31m\u2028\u202E";

    [Fact]
    public async Task A_CONNECT_user_name_and_client_id_cannot_forge_the_auth_line()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await using RawMqttClient client = await RawMqttClient.OpenAsync(broker.EndPoint);
        await client.SendConnectAsync(Forged, user: "bob" + Forged, password: "pw"u8.ToArray());
        Assert.Equal(ReasonCode.BadUserNameOrPassword, (await client.ReceiveAsync()).ReasonCode);

        AssertEscaped(broker, "auth failure");
    }

    [Fact]
    public async Task A_client_id_cannot_forge_the_reauthentication_failure_line()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await broker.AddUserAsync("alice", "pw-alice");
        await using RawMqttClient client = await Scram.LoginAsync(broker, "alice", "pw-alice", clientId: Forged);
        var wrong = new RfcScram("SCRAM-SHA-256", "alice", "not her password");
        await client.SendAuthAsync(ReasonCode.ReAuthenticate, "SCRAM-SHA-256", wrong.ClientFirst());
        Received first = await client.ReceiveAsync();
        await client.SendAuthAsync(ReasonCode.ContinueAuthentication, "SCRAM-SHA-256", wrong.ClientFinal(first.AuthenticationText));
        Assert.Equal(ReasonCode.NotAuthorized, (await client.ReceiveAsync()).ReasonCode);

        AssertEscaped(broker, "re-authentication failed");
    }

    [Fact]
    public async Task A_client_id_cannot_forge_the_line_of_a_connection_closed_for_a_malformed_packet()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await broker.AddUserAsync("alice", "pw-alice");
        await using RawMqttClient client = await Scram.LoginAsync(broker, "alice", "pw-alice", clientId: Forged);
        await client.SendRawAsync(new byte[] { 0x00, 0x00 }); // packet type 0 is reserved: malformed
        while (!(await client.ReceiveAsync()).IsClosed)
        {
        }

        AssertEscaped(broker, "closing");
    }

    /// <summary>The line was written, with the peer's text escaped, and no line holds a raw control or invisible character.</summary>
    private static void AssertEscaped(TestBroker broker, string linePrefix)
    {
        string[] lines = [.. broker.Log.Lines];
        Assert.Contains(lines, l => l.StartsWith(linePrefix, StringComparison.Ordinal) && l.Contains(@"x\u000d\u000ainfo", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.AsSpan().IndexOfAny("\r\n\u001b\u2028\u202E") >= 0);
    }
}
