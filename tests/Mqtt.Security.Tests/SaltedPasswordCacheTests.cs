using Mqtt.Security.Scram;

namespace Mqtt.Security.Tests;

/// <summary>Exchanges sharing a <see cref="SaltedPasswordCache"/> skip PBKDF2 after the first and still log in.</summary>
public sealed class SaltedPasswordCacheTests
{
    [Fact]
    public void LoginsSharingACacheAllSucceedAndTheCacheHoldsTheSaltedPassword()
    {
        ScramMechanism mechanism = ScramMechanism.Sha256;
        ScramVerifier verifier = ScramVerifier.Derive(mechanism, "pencil");
        var cache = new SaltedPasswordCache();

        for (int login = 0; login < 3; login++)
        {
            // The client zeroes its salted password after use: a cache handing out its own array would break login 2.
            var client = new ScramClient(mechanism, "user", "pencil") { SaltedPasswords = cache };
            var server = new ScramServer(mechanism);
            server.ReceiveClientFirst(client.CreateClientFirstMessage());
            string clientFinal = client.CreateClientFinalMessage(server.CreateServerFirstMessage(verifier));
            client.VerifyServerFinal(server.CreateServerFinalMessage(clientFinal));
            Assert.True(server.IsAuthenticated);
        }

        byte[] expected = mechanism.ComputeSaltedPassword("pencil", verifier.Salt, verifier.IterationCount);
        byte[] cached = cache.GetOrCompute(verifier.Salt, verifier.IterationCount, () => throw new InvalidOperationException("PBKDF2 ran again"));
        Assert.Equal(expected, cached);
    }

    [Fact]
    public void AnotherSaltOrIterationCountIsComputedAgain()
    {
        var cache = new SaltedPasswordCache();
        int computed = 0;
        byte[] Compute() => [(byte)++computed];

        cache.GetOrCompute([1, 2], 4096, Compute);
        cache.GetOrCompute([1, 2], 4096, Compute);
        cache.GetOrCompute([1, 3], 4096, Compute);
        cache.GetOrCompute([1, 3], 8192, Compute);

        Assert.Equal(3, computed);
    }
}
