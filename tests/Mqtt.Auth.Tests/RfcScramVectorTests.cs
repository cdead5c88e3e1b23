using System.Text.Json;

namespace Mqtt.Auth.Tests;

/// <summary>The test-side SCRAM client reproduces RFC 7677's example, so the interop tests rest on the RFC, not on our code.</summary>
public sealed class RfcScramVectorTests
{
    [Fact]
    public void Test_client_reproduces_the_RFC_7677_exchange()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "scram-rfc7677.json")));
        JsonElement vector = document.RootElement.GetProperty("vectors")[0];
        var client = new RfcScram(vector.GetProperty("mechanism").GetString()!, vector.GetProperty("user").GetString()!,
            vector.GetProperty("password").GetString()!, vector.GetProperty("client_nonce").GetString());

        Assert.Equal(vector.GetProperty("client_first").GetString(), client.ClientFirst());
        Assert.Equal(vector.GetProperty("client_final").GetString(), client.ClientFinal(vector.GetProperty("server_first").GetString()!));
        Assert.True(client.VerifyServerFinal(vector.GetProperty("server_final").GetString()!));
        Assert.False(client.VerifyServerFinal("v=AAAA" + vector.GetProperty("server_final").GetString()![6..]));
    }
}
