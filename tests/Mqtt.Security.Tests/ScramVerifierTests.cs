using CsCheck;
using Mqtt.Security.Scram;

namespace Mqtt.Security.Tests;

/// <summary>Verifier derivation and the PostgreSQL-style text format.</summary>
public sealed class ScramVerifierTests
{
    private static readonly string ValidSha256 = Rfc7677.Verifier.Format();

    [Fact]
    public void FormatIsMechanismIterationsSaltThenStoredKeyAndServerKey()
    {
        string[] parts = ValidSha256.Split('$');

        Assert.Equal(3, parts.Length);
        Assert.Equal("SCRAM-SHA-256", parts[0]);
        Assert.Equal("4096:W22ZaJ0SNY7soEsUEjb6gQ==", parts[1]);
        string[] keys = parts[2].Split(':');
        Assert.Equal(Rfc7677.Verifier.StoredKey.ToArray(), Convert.FromBase64String(keys[0]));
        Assert.Equal(Rfc7677.Verifier.ServerKey.ToArray(), Convert.FromBase64String(keys[1]));
    }

    [Fact]
    public void AnyVerifierSurvivesFormatAndParse()
    {
        Gen.Select(Gen.Bool, Gen.Byte.Array[1, 64], Gen.Int[ScramVerifier.MinimumIterationCount, int.MaxValue], Gen.Byte.Array[64], Gen.Byte.Array[64]).Sample(
            (sha512, salt, iterations, storedKey, serverKey) =>
            {
                ScramMechanism mechanism = sha512 ? ScramMechanism.Sha512 : ScramMechanism.Sha256;
                int size = mechanism.HashSizeInBytes;
                var verifier = new ScramVerifier(mechanism, salt, iterations, storedKey.AsSpan(0, size), serverKey.AsSpan(0, size));

                ScramVerifier parsed = ScramVerifier.Parse(verifier.Format());

                Assert.Same(mechanism, parsed.Mechanism);
                Assert.Equal(iterations, parsed.IterationCount);
                Assert.Equal(salt, parsed.Salt.ToArray());
                Assert.Equal(storedKey[..size], parsed.StoredKey.ToArray());
                Assert.Equal(serverKey[..size], parsed.ServerKey.ToArray());
                Assert.Equal(verifier.Format(), parsed.Format());
            });
    }

    [Fact]
    public void ParsedVerifierStillChecksThePassword()
    {
        ScramVerifier parsed = ScramVerifier.Parse(ValidSha256);

        Assert.True(parsed.VerifyPassword(Rfc7677.Password));
        Assert.False(parsed.VerifyPassword("Pencil"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("SCRAM-SHA-256")]
    [InlineData("SCRAM-SHA-256$")]
    [InlineData("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==")]
    [InlineData("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$")]
    [InlineData("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==${stored}")]
    [InlineData("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==${stored}:")]
    [InlineData("scram-sha-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==${stored}:{server}")]
    [InlineData("SCRAM-SHA-1$4096:W22ZaJ0SNY7soEsUEjb6gQ==${stored}:{server}")]
    [InlineData("SCRAM-SHA-512$4096:W22ZaJ0SNY7soEsUEjb6gQ==${stored}:{server}")]
    [InlineData("SCRAM-SHA-256$4095:W22ZaJ0SNY7soEsUEjb6gQ==${stored}:{server}")]
    [InlineData("SCRAM-SHA-256$04096:W22ZaJ0SNY7soEsUEjb6gQ==${stored}:{server}")]
    [InlineData("SCRAM-SHA-256$+4096:W22ZaJ0SNY7soEsUEjb6gQ==${stored}:{server}")]
    [InlineData("SCRAM-SHA-256$ 4096:W22ZaJ0SNY7soEsUEjb6gQ==${stored}:{server}")]
    [InlineData("SCRAM-SHA-256$4096.0:W22ZaJ0SNY7soEsUEjb6gQ==${stored}:{server}")]
    [InlineData("SCRAM-SHA-256$99999999999:W22ZaJ0SNY7soEsUEjb6gQ==${stored}:{server}")]
    [InlineData("SCRAM-SHA-256$:W22ZaJ0SNY7soEsUEjb6gQ==${stored}:{server}")]
    [InlineData("SCRAM-SHA-256$4096:${stored}:{server}")]
    [InlineData("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ${stored}:{server}")]
    [InlineData("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gR==${stored}:{server}")]
    [InlineData("SCRAM-SHA-256$4096:W22ZaJ0S NY7soEsUEjb6gQ==${stored}:{server}")]
    [InlineData("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==:AA==${stored}:{server}")]
    [InlineData("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==${stored}:{server}:AA==")]
    [InlineData("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==${stored}:{server}$")]
    [InlineData("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==${stored}:{server}\n")]
    [InlineData("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==${stored}:{server} ")]
    [InlineData(" SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==${stored}:{server}")]
    [InlineData("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$AAAA:{server}")]
    [InlineData("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==${stored}:AAAA")]
    [InlineData("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==${server}{stored}")]
    public void MalformedVerifierTextIsRejected(string template)
    {
        string[] keys = ValidSha256.Split('$')[2].Split(':');
        string text = template.Replace("{stored}", keys[0], StringComparison.Ordinal).Replace("{server}", keys[1], StringComparison.Ordinal);

        Assert.False(ScramVerifier.TryParse(text, out ScramVerifier? verifier));
        Assert.Null(verifier);
        FormatException error = Assert.Throws<FormatException>(() => ScramVerifier.Parse(text));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void NullVerifierTextIsRejected()
    {
        Assert.False(ScramVerifier.TryParse(null, out _));
    }

    [Fact]
    public void SamePasswordGivesDifferentVerifiersThroughFreshSalts()
    {
        ScramVerifier first = ScramVerifier.Derive(ScramMechanism.Sha256, "same password");
        ScramVerifier second = ScramVerifier.Derive(ScramMechanism.Sha256, "same password");

        Assert.Equal(ScramVerifier.DefaultSaltLength, first.Salt.Length);
        Assert.False(first.Salt.SequenceEqual(second.Salt));
        Assert.False(first.StoredKey.SequenceEqual(second.StoredKey));
        Assert.True(first.VerifyPassword("same password"));
        Assert.True(second.VerifyPassword("same password"));
    }

    [Fact]
    public void DefaultIterationCountIs4096AndACustomOneIsKept()
    {
        Assert.Equal(4096, ScramVerifier.Derive(ScramMechanism.Sha256, "pw").IterationCount);
        Assert.Equal(10_000, ScramVerifier.Derive(ScramMechanism.Sha512, "pw", 10_000).IterationCount);
        Assert.StartsWith("SCRAM-SHA-512$10000:", ScramVerifier.Derive(ScramMechanism.Sha512, "pw", 10_000).Format(), StringComparison.Ordinal);
    }

    [Fact]
    public void FewerThan4096IterationsCannotBeDerivedOrConstructed()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ScramVerifier.Derive(ScramMechanism.Sha256, "pw", 4095));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScramVerifier(ScramMechanism.Sha256, new byte[16], 1, new byte[32], new byte[32]));
    }

    [Fact]
    public void KeysOfTheWrongSizeAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new ScramVerifier(ScramMechanism.Sha512, new byte[16], 4096, new byte[32], new byte[64]));
        Assert.Throws<ArgumentException>(() => new ScramVerifier(ScramMechanism.Sha256, new byte[16], 4096, new byte[32], new byte[31]));
        Assert.Throws<ArgumentException>(() => new ScramVerifier(ScramMechanism.Sha256, [], 4096, new byte[32], new byte[32]));
    }

    [Fact]
    public void VerifyPasswordAcceptsTheMqttPasswordBytes()
    {
        ScramVerifier verifier = ScramVerifier.Derive(ScramMechanism.Sha512, "pässword");

        Assert.True(verifier.VerifyPassword(System.Text.Encoding.UTF8.GetBytes("pässword")));
        Assert.False(verifier.VerifyPassword(System.Text.Encoding.Latin1.GetBytes("pässword")));
    }
}
