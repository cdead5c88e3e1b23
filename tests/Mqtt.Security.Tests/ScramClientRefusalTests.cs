using Mqtt.Security.Scram;

namespace Mqtt.Security.Tests;

/// <summary>The client refuses malformed, weak or forged server messages with a precise <see cref="ScramError"/>.</summary>
public sealed class ScramClientRefusalTests
{
    private const string Salt = "W22ZaJ0SNY7soEsUEjb6gQ==";

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(4095)]
    public void IterationCountBelow4096IsRefused(int iterationCount)
    {
        ScramClient client = Rfc7677.ClientAwaitingServerFirst();

        bool created = client.TryCreateClientFinalMessage($"r={Rfc7677.Nonce},s={Salt},i={iterationCount}", out string? clientFinal, out ScramException? error);

        Assert.False(created);
        Assert.Null(clientFinal);
        Assert.Equal(ScramError.IterationCountTooLow, error!.Error);
        Assert.Contains("4096", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IterationCountOf4096IsAccepted()
    {
        var client = new ScramClient(ScramMechanism.Sha256, "user", "pencil", Rfc7677.ClientNonce);
        client.CreateClientFirstMessage();

        Assert.True(client.TryCreateClientFinalMessage($"r={Rfc7677.Nonce},s={Salt},i=4096", out _, out _));
    }

    [Fact]
    public void IterationCountAboveTheClientsMaximumIsRefused()
    {
        var client = new ScramClient(ScramMechanism.Sha256, "user", "pencil", Rfc7677.ClientNonce) { MaximumIterationCount = 10_000 };
        client.CreateClientFirstMessage();

        Assert.False(client.TryCreateClientFinalMessage($"r={Rfc7677.Nonce},s={Salt},i=10001", out _, out ScramException? error));
        Assert.Equal(ScramError.IterationCountTooHigh, error.Error);
    }

    [Theory]
    [InlineData("", ScramError.MalformedMessage)]
    [InlineData("r={nonce}", ScramError.MalformedMessage)]
    [InlineData("r={nonce},s={salt}", ScramError.MalformedMessage)]
    [InlineData("r={nonce},i=4096,s={salt}", ScramError.MalformedMessage)]
    [InlineData("s={salt},r={nonce},i=4096", ScramError.MalformedMessage)]
    [InlineData("r={nonce},s={salt},i=4096,", ScramError.MalformedMessage)]
    [InlineData("r={nonce},s={salt},i=4096,,", ScramError.MalformedMessage)]
    [InlineData("r={nonce},s={salt},i=4096,7=x", ScramError.MalformedMessage)]
    [InlineData("r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ,i=4096", ScramError.MalformedMessage)]
    [InlineData("r={nonce},s=W22ZaJ0SNY7soEsUEjb6gR==,i=4096", ScramError.MalformedMessage)]
    [InlineData("r={nonce},s=not base64!,i=4096", ScramError.MalformedMessage)]
    [InlineData("r={nonce},s={salt},i=", ScramError.MalformedMessage)]
    [InlineData("r={nonce},s={salt},i=04096", ScramError.MalformedMessage)]
    [InlineData("r={nonce},s={salt},i=+4096", ScramError.MalformedMessage)]
    [InlineData("r={nonce},s={salt},i=-4096", ScramError.MalformedMessage)]
    [InlineData("r={nonce},s={salt},i= 4096", ScramError.MalformedMessage)]
    [InlineData("r={nonce},s={salt},i=4096.0", ScramError.MalformedMessage)]
    [InlineData("r={nonce},s={salt},i=0", ScramError.MalformedMessage)]
    [InlineData("r={nonce} ,s={salt},i=4096", ScramError.MalformedMessage)]
    [InlineData("r=rOprNGfwEbeRWgbNEkqO%h\u00e9,s={salt},i=4096", ScramError.MalformedMessage)]
    [InlineData("e=other-error", ScramError.MalformedMessage)]
    [InlineData("r=rOprNGfwEbeRWgbNEkqO,s={salt},i=4096", ScramError.InvalidNonce)]
    [InlineData("r=rOprNGfwEbeRWgbNEkq,s={salt},i=4096", ScramError.InvalidNonce)]
    [InlineData("r=XOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s={salt},i=4096", ScramError.InvalidNonce)]
    [InlineData("r=attacker-chosen-nonce,s={salt},i=4096", ScramError.InvalidNonce)]
    [InlineData("r={nonce},s={salt},i=99999999999999999999", ScramError.IterationCountTooHigh)]
    [InlineData("r={nonce},s={salt},i=2147483647", ScramError.IterationCountTooHigh)]
    [InlineData("m=ext,r={nonce},s={salt},i=4096", ScramError.ExtensionNotSupported)]
    [InlineData("r={nonce},s={salt},i=4096,m=ext", ScramError.ExtensionNotSupported)]
    public void ServerFirstMessageIsRefused(string template, ScramError expected)
    {
        string serverFirst = template.Replace("{nonce}", Rfc7677.Nonce, StringComparison.Ordinal)
            .Replace("{salt}", Salt, StringComparison.Ordinal);
        ScramClient client = Rfc7677.ClientAwaitingServerFirst();

        Assert.False(client.TryCreateClientFinalMessage(serverFirst, out string? clientFinal, out ScramException? error));
        Assert.Null(clientFinal);
        Assert.Equal(expected, error.Error);
        Assert.Equal(expected, Assert.Throws<ScramException>(() => Rfc7677.ClientAwaitingServerFirst().CreateClientFinalMessage(serverFirst)).Error);
    }

    [Fact]
    public void ServerFirstMessageWithAnUnknownExtensionAfterTheIterationCountIsAccepted()
    {
        ScramClient client = Rfc7677.ClientAwaitingServerFirst();

        Assert.True(client.TryCreateClientFinalMessage(Rfc7677.ServerFirst + ",x=future", out _, out _));
    }

    [Fact]
    public void ServerFirstMessageWithNulOrUnpairedSurrogateIsRefused()
    {
        foreach (string serverFirst in new[] { Rfc7677.ServerFirst + "\0", Rfc7677.ServerFirst.Replace("i=4096", "i=40\096", StringComparison.Ordinal), Rfc7677.ServerFirst + ",x=\uDBFF" })
        {
            ScramClient client = Rfc7677.ClientAwaitingServerFirst();

            Assert.False(client.TryCreateClientFinalMessage(serverFirst, out _, out ScramException? error));
            Assert.Equal(ScramError.MalformedMessage, error.Error);
        }
    }

    [Theory]
    [InlineData("", ScramError.MalformedMessage)]
    [InlineData("v=", ScramError.MalformedMessage)]
    [InlineData("v", ScramError.MalformedMessage)]
    [InlineData("x=abc", ScramError.MalformedMessage)]
    [InlineData("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4", ScramError.MalformedMessage)]
    [InlineData("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=,", ScramError.MalformedMessage)]
    [InlineData(" v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", ScramError.MalformedMessage)]
    [InlineData("v=AAAA", ScramError.ServerSignatureMismatch)]
    [InlineData("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=,m=ext", ScramError.ExtensionNotSupported)]
    [InlineData("e=invalid-proof", ScramError.ServerError)]
    [InlineData("e=other-error,x=1", ScramError.ServerError)]
    public void ServerFinalMessageIsRefused(string serverFinal, ScramError expected)
    {
        ScramClient client = Rfc7677.ClientAwaitingServerFinal();

        Assert.False(client.TryVerifyServerFinal(serverFinal, out ScramException? error));
        Assert.Equal(expected, error.Error);
        Assert.False(client.IsAuthenticated);
    }

    [Fact]
    public void ServerErrorValueIsReportedWhenItIsOneOfTheRfcsWords()
    {
        ScramClient client = Rfc7677.ClientAwaitingServerFinal();

        ScramException error = Assert.Throws<ScramException>(() => client.VerifyServerFinal("e=invalid-proof"));

        Assert.Equal(ScramError.ServerError, error.Error);
        Assert.Contains("e=invalid-proof", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ServerErrorValueWithOddCharactersIsNotEchoedIntoTheMessage()
    {
        ScramClient client = Rfc7677.ClientAwaitingServerFinal();

        ScramException error = Assert.Throws<ScramException>(() => client.VerifyServerFinal("e=\nFORGED LOG LINE"));

        Assert.Equal(ScramError.ServerError, error.Error);
        Assert.DoesNotContain("FORGED", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ServerFinalMessageWithAnUnknownExtensionIsAccepted()
    {
        ScramClient client = Rfc7677.ClientAwaitingServerFinal();

        Assert.True(client.TryVerifyServerFinal(Rfc7677.ServerFinal + ",x=future", out _));
        Assert.True(client.IsAuthenticated);
    }

    [Fact]
    public void ServerFinalMessageThatIsNotUtf8IsRefused()
    {
        ScramClient client = Rfc7677.ClientAwaitingServerFinal();
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(Rfc7677.ServerFinal);
        bytes[^2] = 0xF8;

        Assert.False(client.TryVerifyServerFinal(bytes, out ScramException? error));
        Assert.Equal(ScramError.MalformedMessage, error.Error);
    }

    [Fact]
    public void ConstructorRefusesNamesPasswordsAndNoncesThatCannotBeSent()
    {
        Assert.Throws<ArgumentException>(() => new ScramClient(ScramMechanism.Sha256, string.Empty, "pw"));
        Assert.Throws<ArgumentException>(() => new ScramClient(ScramMechanism.Sha256, "a\0b", "pw"));
        Assert.Throws<ArgumentException>(() => new ScramClient(ScramMechanism.Sha256, "a\uD800", "pw"));
        Assert.Throws<ArgumentException>(() => new ScramClient(ScramMechanism.Sha256, "user", "p\uDC00w"));
        Assert.Throws<ArgumentException>(() => new ScramClient(ScramMechanism.Sha256, "user", "pw", "has,comma"));
        Assert.Throws<ArgumentException>(() => new ScramClient(ScramMechanism.Sha256, "user", "pw", string.Empty));
        Assert.Throws<ArgumentException>(() => new ScramClient(ScramMechanism.Sha256, "user", new byte[31], Rfc7677.Salt, 4096));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScramClient(ScramMechanism.Sha256, "user", "pw") { MaximumIterationCount = 4095 });
    }
}
