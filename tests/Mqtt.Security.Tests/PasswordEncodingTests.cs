using System.Text;
using Mqtt.Security.Scram;

namespace Mqtt.Security.Tests;

/// <summary>Passwords are used as UTF-8 bytes without normalization (docs/scram.md explains why).</summary>
public sealed class PasswordEncodingTests
{
    private static readonly byte[] Salt = Encoding.ASCII.GetBytes("0123456789abcdef");

    [Fact]
    public void NfkcIsANoOpUnderTheProjectsInvariantGlobalization()
    {
        // The reason for the choice: with InvariantGlobalization=true, Normalize leaves U+2168 (ROMAN NUMERAL NINE) alone,
        // while ICU would turn it into "IX". If this ever fails, revisit docs/scram.md.
        Assert.True(AppContext.TryGetSwitch("System.Globalization.Invariant", out bool invariant) && invariant);
        Assert.Equal("\u2168", "\u2168".Normalize(NormalizationForm.FormKC));
    }

    [Fact]
    public void PasswordStringAndItsUtf8BytesGiveTheSameSaltedPassword()
    {
        byte[] fromString = ScramMechanism.Sha256.ComputeSaltedPassword("p\u00e4ss\u2168😀", Salt, 4096);
        byte[] fromBytes = ScramMechanism.Sha256.ComputeSaltedPassword(Encoding.UTF8.GetBytes("p\u00e4ss\u2168😀"), Salt, 4096);

        Assert.Equal(fromString, fromBytes);
    }

    [Fact]
    public void CompatibilityAndCanonicalEquivalentsAreDifferentPasswords()
    {
        ScramVerifier verifier = ScramVerifier.Derive(ScramMechanism.Sha256, "\u2168-caf\u00e9", Salt, 4096);

        Assert.True(verifier.VerifyPassword("\u2168-caf\u00e9"));
        Assert.False(verifier.VerifyPassword("IX-caf\u00e9"));
        Assert.False(verifier.VerifyPassword("\u2168-cafe\u0301"));
    }

    [Fact]
    public void PasswordWithAnUnpairedSurrogateIsRefusedNotReplaced()
    {
        Assert.Throws<ArgumentException>(() => ScramVerifier.Derive(ScramMechanism.Sha256, "a\uD800", Salt, 4096));
        ScramVerifier verifier = ScramVerifier.Derive(ScramMechanism.Sha256, "a\uFFFD", Salt, 4096);
        Assert.False(verifier.VerifyPassword("a\uD800"));
    }

    [Fact]
    public void MechanismsAreFoundByExactNameOnly()
    {
        Assert.True(ScramMechanism.TryGetByName("SCRAM-SHA-512", out ScramMechanism? sha512));
        Assert.Equal(64, sha512.HashSizeInBytes);
        Assert.Equal(32, ScramMechanism.Sha256.HashSizeInBytes);
        Assert.False(ScramMechanism.TryGetByName("scram-sha-256", out _));
        Assert.False(ScramMechanism.TryGetByName("SCRAM-SHA-1", out _));
        Assert.False(ScramMechanism.TryGetByName(null, out _));
    }
}
