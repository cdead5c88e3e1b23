using Mqtt.Security.Scram;

namespace Mqtt.Security.Tests;

/// <summary>Every change to a proof, nonce or signature, and every replay, is caught.</summary>
public sealed class ScramTamperingTests
{
    private const string PrintableWithoutComma = "!\"#$%&'()*+-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

    [Fact]
    public void EveryChangedByteOfTheClientProofIsRefused()
    {
        byte[] proof = Convert.FromBase64String(Rfc7677.ClientProof);
        for (int index = 0; index < proof.Length; index++)
        {
            for (int mask = 1; mask <= 255; mask++)
            {
                byte[] changed = (byte[])proof.Clone();
                changed[index] ^= (byte)mask;
                string clientFinal = $"c=biws,r={Rfc7677.Nonce},p={Convert.ToBase64String(changed)}";
                ScramServer server = Rfc7677.ServerAwaitingClientFinal();

                Assert.False(server.TryCreateServerFinalMessage(clientFinal, out _, out ScramException? error));
                Assert.Equal(ScramError.InvalidProof, error.Error);
            }
        }
    }

    [Fact]
    public void EveryChangedCharacterOfTheClientFinalNonceIsRefused()
    {
        string proofPart = $",p={Rfc7677.ClientProof}";
        for (int index = 0; index < Rfc7677.Nonce.Length; index++)
        {
            foreach (char replacement in PrintableWithoutComma)
            {
                if (replacement == Rfc7677.Nonce[index])
                {
                    continue;
                }

                string nonce = Rfc7677.Nonce[..index] + replacement + Rfc7677.Nonce[(index + 1)..];
                ScramServer server = Rfc7677.ServerAwaitingClientFinal();

                Assert.False(server.TryCreateServerFinalMessage($"c=biws,r={nonce}{proofPart}", out _, out ScramException? error));
                Assert.Equal(ScramError.InvalidNonce, error.Error);
            }
        }
    }

    [Fact]
    public void ClientFinalNonceShortenedOrExtendedIsRefused()
    {
        foreach (string nonce in new[] { Rfc7677.ClientNonce, Rfc7677.Nonce[..^1], Rfc7677.Nonce + "x" })
        {
            ScramServer server = Rfc7677.ServerAwaitingClientFinal();

            Assert.False(server.TryCreateServerFinalMessage($"c=biws,r={nonce},p={Rfc7677.ClientProof}", out _, out ScramException? error));
            Assert.Equal(ScramError.InvalidNonce, error.Error);
        }
    }

    [Fact]
    public void EveryChangedByteOfTheServerSignatureIsRefused()
    {
        byte[] signature = Convert.FromBase64String(Rfc7677.ServerSignature);
        for (int index = 0; index < signature.Length; index++)
        {
            for (int mask = 1; mask <= 255; mask++)
            {
                byte[] changed = (byte[])signature.Clone();
                changed[index] ^= (byte)mask;
                ScramClient client = Rfc7677.ClientAwaitingServerFinal();

                Assert.False(client.TryVerifyServerFinal("v=" + Convert.ToBase64String(changed), out ScramException? error));
                Assert.Equal(ScramError.ServerSignatureMismatch, error.Error);
                Assert.False(client.IsAuthenticated);
            }
        }
    }

    [Fact]
    public void EveryChangedCharacterOfTheClientPartOfTheServerNonceIsRefusedByTheClient()
    {
        string rest = Rfc7677.ServerFirst[(2 + Rfc7677.ClientNonce.Length)..];
        for (int index = 0; index < Rfc7677.ClientNonce.Length; index++)
        {
            char replacement = Rfc7677.ClientNonce[index] == 'A' ? 'B' : 'A';
            string clientPart = Rfc7677.ClientNonce[..index] + replacement + Rfc7677.ClientNonce[(index + 1)..];
            ScramClient client = Rfc7677.ClientAwaitingServerFirst();

            Assert.False(client.TryCreateClientFinalMessage($"r={clientPart}{rest}", out _, out ScramException? error));
            Assert.Equal(ScramError.InvalidNonce, error.Error);
        }
    }

    [Fact]
    public void ServerNonceChangedInTransitMakesTheServerRefuseTheClientFinal()
    {
        string forged = Rfc7677.ServerFirst.Replace("%hvYDpWUa2", "%hvYDpWUa3", StringComparison.Ordinal);
        Assert.NotEqual(Rfc7677.ServerFirst, forged);
        ScramClient client = Rfc7677.ClientAwaitingServerFirst();
        ScramServer server = Rfc7677.ServerAwaitingClientFinal();

        string clientFinal = client.CreateClientFinalMessage(forged);

        Assert.False(server.TryCreateServerFinalMessage(clientFinal, out _, out ScramException? error));
        Assert.Equal(ScramError.InvalidNonce, error.Error);
    }

    [Fact]
    public void SaltChangedInTransitMakesTheServerRefuseTheProof()
    {
        // A man in the middle swaps the salt; the AuthMessage and the salted password both change.
        string forged = Rfc7677.ServerFirst.Replace("s=W22ZaJ0SNY7soEsUEjb6gQ==", "s=AAAAAAAAAAAAAAAAAAAAAA==", StringComparison.Ordinal);
        Assert.NotEqual(Rfc7677.ServerFirst, forged);
        var client = new ScramClient(ScramMechanism.Sha256, Rfc7677.User, Rfc7677.Password, Rfc7677.ClientNonce);
        client.CreateClientFirstMessage();
        ScramServer server = Rfc7677.ServerAwaitingClientFinal();

        string clientFinal = client.CreateClientFinalMessage(forged);

        Assert.False(server.TryCreateServerFinalMessage(clientFinal, out _, out ScramException? error));
        Assert.Equal(ScramError.InvalidProof, error.Error);
    }

    [Fact]
    public void ClientFinalReplayedIntoANewExchangeIsRefused()
    {
        ScramVerifier verifier = ScramVerifier.Derive(ScramMechanism.Sha256, "pw");
        var client = new ScramClient(ScramMechanism.Sha256, "alice", "pw");
        var first = new ScramServer(ScramMechanism.Sha256);
        string clientFirst = client.CreateClientFirstMessage();
        first.ReceiveClientFirst(clientFirst);
        string clientFinal = client.CreateClientFinalMessage(first.CreateServerFirstMessage(verifier));
        first.CreateServerFinalMessage(clientFinal);
        Assert.True(first.IsAuthenticated);

        // The eavesdropper replays both client messages against a new exchange.
        var second = new ScramServer(ScramMechanism.Sha256);
        second.ReceiveClientFirst(clientFirst);
        second.CreateServerFirstMessage(verifier);

        Assert.False(second.TryCreateServerFinalMessage(clientFinal, out _, out ScramException? error));
        Assert.Equal(ScramError.InvalidNonce, error.Error);
        Assert.False(second.IsAuthenticated);
    }

    [Fact]
    public void ClientFinalReplayedIntoTheSameFinishedExchangeIsRefused()
    {
        ScramServer server = Rfc7677.ServerAwaitingClientFinal();
        server.CreateServerFinalMessage(Rfc7677.ClientFinal);

        Assert.False(server.TryCreateServerFinalMessage(Rfc7677.ClientFinal, out _, out ScramException? error));
        Assert.Equal(ScramError.InvalidState, error.Error);
        Assert.False(server.IsAuthenticated);
    }

    [Fact]
    public void ServerExchangeThatFailedCannotBeCompletedWithTheRightProof()
    {
        ScramServer server = Rfc7677.ServerAwaitingClientFinal();
        string wrongProof = Convert.ToBase64String(new byte[32]);
        Assert.False(server.TryCreateServerFinalMessage($"c=biws,r={Rfc7677.Nonce},p={wrongProof}", out _, out _));

        Assert.False(server.TryCreateServerFinalMessage(Rfc7677.ClientFinal, out _, out ScramException? error));
        Assert.Equal(ScramError.InvalidState, error.Error);
        Assert.False(server.IsAuthenticated);
    }

    [Fact]
    public void ServerStepsOutOfOrderFailWithInvalidState()
    {
        var fresh = new ScramServer(ScramMechanism.Sha256);
        ScramException early = Assert.Throws<ScramException>(() => fresh.CreateServerFirstMessage(Rfc7677.Verifier));
        Assert.Equal(ScramError.InvalidState, early.Error);

        var twice = new ScramServer(ScramMechanism.Sha256);
        twice.ReceiveClientFirst(Rfc7677.ClientFirst);
        ScramException again = Assert.Throws<ScramException>(() => twice.ReceiveClientFirst(Rfc7677.ClientFirst));
        Assert.Equal(ScramError.InvalidState, again.Error);

        var finalFirst = new ScramServer(ScramMechanism.Sha256);
        ScramException final = Assert.Throws<ScramException>(() => finalFirst.CreateServerFinalMessage(Rfc7677.ClientFinal));
        Assert.Equal(ScramError.InvalidState, final.Error);
    }

    [Fact]
    public void ClientStepsOutOfOrderOrRepeatedFailWithInvalidState()
    {
        ScramClient client = Rfc7677.NewClient();
        Assert.Equal(ScramError.InvalidState, Assert.Throws<ScramException>(() => client.CreateClientFinalMessage(Rfc7677.ServerFirst)).Error);

        ScramClient twice = Rfc7677.ClientAwaitingServerFirst();
        Assert.Equal(ScramError.InvalidState, Assert.Throws<ScramException>(() => twice.CreateClientFirstMessage()).Error);

        ScramClient done = Rfc7677.ClientAwaitingServerFinal();
        done.VerifyServerFinal(Rfc7677.ServerFinal);
        Assert.Equal(ScramError.InvalidState, Assert.Throws<ScramException>(() => done.VerifyServerFinal(Rfc7677.ServerFinal)).Error);
        Assert.Equal(ScramError.InvalidState, Assert.Throws<ScramException>(() => done.CreateClientFinalMessage(Rfc7677.ServerFirst)).Error);
    }

    [Fact]
    public void ClientThatRefusedTheServerSignatureNeverAuthenticatesLater()
    {
        ScramClient client = Rfc7677.ClientAwaitingServerFinal();
        Assert.False(client.TryVerifyServerFinal("v=" + Convert.ToBase64String(new byte[32]), out _));

        Assert.False(client.TryVerifyServerFinal(Rfc7677.ServerFinal, out ScramException? error));
        Assert.Equal(ScramError.InvalidState, error.Error);
        Assert.False(client.IsAuthenticated);
    }
}
