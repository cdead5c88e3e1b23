using Mqtt.Security.Scram;

namespace Mqtt.Security.Tests;

/// <summary>Byte-for-byte agreement with the RFC 7677 section 3 example.</summary>
public sealed class Rfc7677VectorTests
{
    [Fact]
    public void VectorIsTheSha256Mechanism()
    {
        Assert.True(ScramMechanism.TryGetByName(Rfc7677.Mechanism, out ScramMechanism? mechanism));
        Assert.Same(ScramMechanism.Sha256, mechanism);
    }

    [Fact]
    public void ClientFirstMessageMatchesTheRfc()
    {
        var client = new ScramClient(ScramMechanism.Sha256, Rfc7677.User, Rfc7677.Password, Rfc7677.ClientNonce);

        Assert.Equal(Rfc7677.ClientFirst, client.CreateClientFirstMessage());
    }

    [Fact]
    public void ClientFinalMessageFromPasswordMatchesTheRfc()
    {
        var client = new ScramClient(ScramMechanism.Sha256, Rfc7677.User, Rfc7677.Password, Rfc7677.ClientNonce);
        client.CreateClientFirstMessage();

        Assert.Equal(Rfc7677.ClientFinal, client.CreateClientFinalMessage(Rfc7677.ServerFirst));
    }

    [Fact]
    public void ClientFinalMessageFromPrecomputedSaltedPasswordMatchesTheRfc()
    {
        ScramClient client = Rfc7677.ClientAwaitingServerFirst();

        Assert.Equal(Rfc7677.ClientFinal, client.CreateClientFinalMessage(Rfc7677.ServerFirst));
    }

    [Fact]
    public void ClientAcceptsTheRfcServerFinalMessage()
    {
        var client = new ScramClient(ScramMechanism.Sha256, Rfc7677.User, Rfc7677.Password, Rfc7677.ClientNonce);
        client.CreateClientFirstMessage();
        client.CreateClientFinalMessage(Rfc7677.ServerFirst);
        Assert.False(client.IsAuthenticated);

        client.VerifyServerFinal(Rfc7677.ServerFinal);

        Assert.True(client.IsAuthenticated);
    }

    [Fact]
    public void ServerReadsTheUserNameFromTheRfcClientFirstMessage()
    {
        var server = new ScramServer(ScramMechanism.Sha256, Rfc7677.ServerNonce);

        server.ReceiveClientFirst(Rfc7677.ClientFirst);

        Assert.Equal(Rfc7677.User, server.UserName);
    }

    [Fact]
    public void ServerFirstMessageMatchesTheRfc()
    {
        var server = new ScramServer(ScramMechanism.Sha256, Rfc7677.ServerNonce);
        server.ReceiveClientFirst(Rfc7677.ClientFirst);

        Assert.Equal(Rfc7677.ServerFirst, server.CreateServerFirstMessage(Rfc7677.Verifier));
    }

    [Fact]
    public void ServerFinalMessageMatchesTheRfc()
    {
        ScramServer server = Rfc7677.ServerAwaitingClientFinal();

        Assert.Equal(Rfc7677.ServerFinal, server.CreateServerFinalMessage(Rfc7677.ClientFinal));
        Assert.True(server.IsAuthenticated);
    }

    [Fact]
    public void ByteOverloadsGiveTheSameMessagesAsStrings()
    {
        ScramClient client = Rfc7677.ClientAwaitingServerFirst();
        var server = new ScramServer(ScramMechanism.Sha256, Rfc7677.ServerNonce);

        Assert.True(server.TryReceiveClientFirst(System.Text.Encoding.UTF8.GetBytes(Rfc7677.ClientFirst), out _));
        server.CreateServerFirstMessage(Rfc7677.Verifier);
        Assert.True(client.TryCreateClientFinalMessage(System.Text.Encoding.UTF8.GetBytes(Rfc7677.ServerFirst), out string? clientFinal, out _));
        Assert.Equal(Rfc7677.ClientFinal, clientFinal);
        Assert.True(server.TryCreateServerFinalMessage(System.Text.Encoding.UTF8.GetBytes(clientFinal), out string? serverFinal, out _));
        Assert.Equal(Rfc7677.ServerFinal, serverFinal);
        Assert.True(client.TryVerifyServerFinal(System.Text.Encoding.UTF8.GetBytes(serverFinal), out _));
        Assert.True(client.IsAuthenticated);
    }

    [Fact]
    public void VerifierDerivedFromTheVectorAcceptsOnlyItsPassword()
    {
        Assert.True(Rfc7677.Verifier.VerifyPassword(Rfc7677.Password));
        Assert.False(Rfc7677.Verifier.VerifyPassword(Rfc7677.Password + "!"));
        Assert.False(Rfc7677.Verifier.VerifyPassword(string.Empty));
    }
}
