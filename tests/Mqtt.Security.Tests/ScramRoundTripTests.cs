using CsCheck;
using Mqtt.Security.Scram;

namespace Mqtt.Security.Tests;

/// <summary>Client and server agree for every mechanism, name and password.</summary>
public sealed class ScramRoundTripTests
{
    [Fact]
    public void AnyUserAndPasswordLogsInWithEitherMechanism()
    {
        Gen.Select(ScramGen.Mechanism, ScramGen.UserName, ScramGen.Password).Sample(
            (mechanismName, userName, password) =>
            {
                Assert.True(ScramMechanism.TryGetByName(mechanismName, out ScramMechanism? mechanism));
                ScramVerifier verifier = ScramVerifier.Derive(mechanism, password);
                var client = new ScramClient(mechanism, userName, password);
                var server = new ScramServer(mechanism);

                server.ReceiveClientFirst(client.CreateClientFirstMessage());
                Assert.Equal(userName, server.UserName);
                string clientFinal = client.CreateClientFinalMessage(server.CreateServerFirstMessage(verifier));
                client.VerifyServerFinal(server.CreateServerFinalMessage(clientFinal));

                Assert.True(server.IsAuthenticated);
                Assert.True(client.IsAuthenticated);
            },
            iter: 60);
    }

    [Fact]
    public void AnyOtherPasswordIsRefusedWithInvalidProof()
    {
        Gen.Select(ScramGen.Mechanism, ScramGen.UserName, ScramGen.Password, ScramGen.Password)
            .Where((_, _, password, guess) => password != guess)
            .Sample(
                (mechanismName, userName, password, guess) =>
                {
                    Assert.True(ScramMechanism.TryGetByName(mechanismName, out ScramMechanism? mechanism));
                    ScramVerifier verifier = ScramVerifier.Derive(mechanism, password);
                    var client = new ScramClient(mechanism, userName, guess);
                    var server = new ScramServer(mechanism);

                    server.ReceiveClientFirst(client.CreateClientFirstMessage());
                    string clientFinal = client.CreateClientFinalMessage(server.CreateServerFirstMessage(verifier));
                    Assert.False(server.TryCreateServerFinalMessage(clientFinal, out _, out ScramException? error));

                    Assert.Equal(ScramError.InvalidProof, error.Error);
                    Assert.False(server.IsAuthenticated);
                },
                iter: 30);
    }

    [Fact]
    public void UserNameWithCommaAndEqualsIsEscapedOnTheWireAndRestoredByTheServer()
    {
        var client = new ScramClient(ScramMechanism.Sha256, "a,b=c", "pw", "nonce");
        var server = new ScramServer(ScramMechanism.Sha256);

        string clientFirst = client.CreateClientFirstMessage();
        server.ReceiveClientFirst(clientFirst);

        Assert.Equal("n,,n=a=2Cb=3Dc,r=nonce", clientFirst);
        Assert.Equal("a,b=c", server.UserName);
    }

    [Fact]
    public void PrecomputedSaltedPasswordLogsInLikeThePassword()
    {
        ScramVerifier verifier = ScramVerifier.Derive(ScramMechanism.Sha512, "secret", 5000);
        byte[] saltedPassword = ScramMechanism.Sha512.ComputeSaltedPassword("secret", verifier.Salt, verifier.IterationCount);
        var client = new ScramClient(ScramMechanism.Sha512, "alice", saltedPassword, verifier.Salt, verifier.IterationCount);
        var server = new ScramServer(ScramMechanism.Sha512);

        server.ReceiveClientFirst(client.CreateClientFirstMessage());
        string clientFinal = client.CreateClientFinalMessage(server.CreateServerFirstMessage(verifier));
        client.VerifyServerFinal(server.CreateServerFinalMessage(clientFinal));

        Assert.True(client.IsAuthenticated);
    }

    [Fact]
    public void PrecomputedSaltedPasswordForAnotherSaltIsRefusedBeforeAnyProofIsSent()
    {
        ScramVerifier verifier = ScramVerifier.Derive(ScramMechanism.Sha256, "secret");
        byte[] otherSalt = new byte[16];
        byte[] saltedPassword = ScramMechanism.Sha256.ComputeSaltedPassword("secret", otherSalt, verifier.IterationCount);
        var client = new ScramClient(ScramMechanism.Sha256, "alice", saltedPassword, otherSalt, verifier.IterationCount);
        var server = new ScramServer(ScramMechanism.Sha256);

        server.ReceiveClientFirst(client.CreateClientFirstMessage());
        bool created = client.TryCreateClientFinalMessage(server.CreateServerFirstMessage(verifier), out _, out ScramException? error);

        Assert.False(created);
        Assert.Equal(ScramError.SaltedPasswordMismatch, error!.Error);
    }

    [Fact]
    public void GeneratedNoncesAreFreshPrintableAndAtLeast18RandomBytes()
    {
        var seen = new HashSet<string>();
        for (int i = 0; i < 50; i++)
        {
            string clientFirst = new ScramClient(ScramMechanism.Sha256, "u", "p").CreateClientFirstMessage();
            string nonce = clientFirst[(clientFirst.IndexOf(",r=", StringComparison.Ordinal) + 3)..];

            Assert.True(Convert.FromBase64String(nonce).Length >= 18);
            Assert.DoesNotContain(',', nonce);
            Assert.True(seen.Add(nonce));
        }
    }

    [Fact]
    public void ServerNonceExtendsTheClientNonceWithAtLeast18RandomBytes()
    {
        var server = new ScramServer(ScramMechanism.Sha256);
        server.ReceiveClientFirst("n,,n=u,r=abc");

        string serverFirst = server.CreateServerFirstMessage(Rfc7677.Verifier);
        string nonce = serverFirst[2..serverFirst.IndexOf(',', StringComparison.Ordinal)];

        Assert.StartsWith("abc", nonce, StringComparison.Ordinal);
        Assert.True(Convert.FromBase64String(nonce[3..]).Length >= 18);
    }
}
