using Mqtt.Security.Scram;

namespace Mqtt.Security.Tests;

/// <summary>Unknown users get a decoy verifier, so the exchange does not reveal whether a name exists.</summary>
public sealed class ScramDecoyTests
{
    private static readonly byte[] Secret = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    [Fact]
    public void DecoySaltIsStablePerName()
    {
        ScramVerifier first = ScramVerifier.CreateDecoy(ScramMechanism.Sha256, "mallory", Secret);
        ScramVerifier second = ScramVerifier.CreateDecoy(ScramMechanism.Sha256, "mallory", Secret);

        Assert.True(first.Salt.SequenceEqual(second.Salt));
    }

    [Fact]
    public void DecoySaltDiffersAcrossNamesMechanismsAndSecrets()
    {
        var salts = new HashSet<string>
        {
            Convert.ToBase64String(ScramVerifier.CreateDecoy(ScramMechanism.Sha256, "mallory", Secret).Salt),
        };

        Assert.True(salts.Add(Convert.ToBase64String(ScramVerifier.CreateDecoy(ScramMechanism.Sha256, "Mallory", Secret).Salt)));
        Assert.True(salts.Add(Convert.ToBase64String(ScramVerifier.CreateDecoy(ScramMechanism.Sha256, "mallory2", Secret).Salt)));
        Assert.True(salts.Add(Convert.ToBase64String(ScramVerifier.CreateDecoy(ScramMechanism.Sha512, "mallory", Secret).Salt)));
        Assert.True(salts.Add(Convert.ToBase64String(ScramVerifier.CreateDecoy(ScramMechanism.Sha256, "mallory", Convert.FromHexString("ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")).Salt)));
        for (int i = 0; i < 200; i++)
        {
            Assert.True(salts.Add(Convert.ToBase64String(ScramVerifier.CreateDecoy(ScramMechanism.Sha256, $"user{i}", Secret).Salt)));
        }
    }

    [Fact]
    public void DecoyLooksLikeARealVerifier()
    {
        ScramVerifier real = ScramVerifier.Derive(ScramMechanism.Sha256, "pw");
        ScramVerifier decoy = ScramVerifier.CreateDecoy(ScramMechanism.Sha256, "nobody", Secret);

        Assert.Equal(real.Salt.Length, decoy.Salt.Length);
        Assert.Equal(real.IterationCount, decoy.IterationCount);
        Assert.Equal(real.StoredKey.Length, decoy.StoredKey.Length);
        Assert.Equal(7777, ScramVerifier.CreateDecoy(ScramMechanism.Sha256, "nobody", Secret, 7777).IterationCount);
    }

    [Fact]
    public void UnknownUserAndWrongPasswordFailTheSameWayAtTheSameStep()
    {
        ScramVerifier alice = ScramVerifier.Derive(ScramMechanism.Sha256, "right");

        ScramException wrongPassword = RunUntilProof("alice", "wrong", alice, out string wrongPasswordServerFirst);
        ScramException unknownUser = RunUntilProof("nobody", "anything", ScramVerifier.CreateDecoy(ScramMechanism.Sha256, "nobody", Secret), out string unknownUserServerFirst);

        Assert.Equal(ScramError.InvalidProof, wrongPassword.Error);
        Assert.Equal(wrongPassword.Error, unknownUser.Error);
        Assert.Equal(wrongPassword.Message, unknownUser.Message);
        Assert.Equal(Shape(wrongPasswordServerFirst), Shape(unknownUserServerFirst));
    }

    [Fact]
    public void NoPasswordOpensADecoy()
    {
        ScramVerifier decoy = ScramVerifier.CreateDecoy(ScramMechanism.Sha256, "nobody", Secret);

        Assert.False(decoy.VerifyPassword(string.Empty));
        Assert.False(decoy.VerifyPassword("nobody"));
    }

    [Fact]
    public void ShortServerSecretIsRejected()
    {
        Assert.Throws<ArgumentException>(() => ScramVerifier.CreateDecoy(ScramMechanism.Sha256, "nobody", new byte[15]));
    }

    private static ScramException RunUntilProof(string user, string password, ScramVerifier verifier, out string serverFirst)
    {
        var client = new ScramClient(ScramMechanism.Sha256, user, password);
        var server = new ScramServer(ScramMechanism.Sha256);
        server.ReceiveClientFirst(client.CreateClientFirstMessage());
        serverFirst = server.CreateServerFirstMessage(verifier);
        string clientFinal = client.CreateClientFinalMessage(serverFirst);
        return Assert.Throws<ScramException>(() => server.CreateServerFinalMessage(clientFinal));
    }

    /// <summary>The message with every base64 value reduced to its length: what an observer can compare.</summary>
    private static string Shape(string serverFirst)
    {
        string[] fields = serverFirst.Split(',');
        return $"{fields[0].Length},{fields[1].Length},{fields[2]}";
    }
}
