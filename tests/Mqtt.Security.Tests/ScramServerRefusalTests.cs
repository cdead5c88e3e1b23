using Mqtt.Security.Scram;

namespace Mqtt.Security.Tests;

/// <summary>The server refuses malformed or unsupported client messages with a precise <see cref="ScramError"/>.</summary>
public sealed class ScramServerRefusalTests
{
    [Theory]
    [InlineData("", ScramError.MalformedMessage)]
    [InlineData("n", ScramError.MalformedMessage)]
    [InlineData("n,", ScramError.MalformedMessage)]
    [InlineData("n,,", ScramError.MalformedMessage)]
    [InlineData(" n,,n=user,r=abc", ScramError.MalformedMessage)]
    [InlineData("N,,n=user,r=abc", ScramError.MalformedMessage)]
    [InlineData("x,,n=user,r=abc", ScramError.MalformedMessage)]
    [InlineData("n,b=x,n=user,r=abc", ScramError.MalformedMessage)]
    [InlineData("n,,r=abc,n=user", ScramError.MalformedMessage)]
    [InlineData("n,,n=,r=abc", ScramError.MalformedMessage)]
    [InlineData("n,,n=user", ScramError.MalformedMessage)]
    [InlineData("n,,n=user,", ScramError.MalformedMessage)]
    [InlineData("n,,n=user,r=", ScramError.MalformedMessage)]
    [InlineData("n,,n=user,r=a b", ScramError.MalformedMessage)]
    [InlineData("n,,n=user,r=abcé", ScramError.MalformedMessage)]
    [InlineData("n,,n=user,r=abc,", ScramError.MalformedMessage)]
    [InlineData("n,,n=user,r=abc,1=x", ScramError.MalformedMessage)]
    [InlineData("n,,n=user,r=abc,x=", ScramError.MalformedMessage)]
    [InlineData("n,,n=user,,r=abc", ScramError.MalformedMessage)]
    [InlineData("n,,n=user,s=abc", ScramError.MalformedMessage)]
    [InlineData("n,,n=us=er,r=abc", ScramError.MalformedMessage)]
    [InlineData("n,,n=us=2cer,r=abc", ScramError.MalformedMessage)]
    [InlineData("n,,n=user=,r=abc", ScramError.MalformedMessage)]
    [InlineData("n,,n=user=3,r=abc", ScramError.MalformedMessage)]
    [InlineData("n,,n=user=3d,r=abc", ScramError.MalformedMessage)]
    [InlineData("p=tls-unique,,n=user,r=abc", ScramError.ChannelBindingNotSupported)]
    [InlineData("p=tls-exporter,a=admin,n=user,r=abc", ScramError.ChannelBindingNotSupported)]
    [InlineData("n,a=admin,n=user,r=abc", ScramError.AuthorizationIdentityNotSupported)]
    [InlineData("y,a=user,n=user,r=abc", ScramError.AuthorizationIdentityNotSupported)]
    [InlineData("n,,m=ext,n=user,r=abc", ScramError.ExtensionNotSupported)]
    [InlineData("n,,n=user,r=abc,m=ext", ScramError.ExtensionNotSupported)]
    public void ClientFirstMessageIsRefused(string clientFirst, ScramError expected)
    {
        var server = new ScramServer(ScramMechanism.Sha256);

        Assert.False(server.TryReceiveClientFirst(clientFirst, out ScramException? error));
        Assert.Equal(expected, error.Error);
        Assert.Null(server.UserName);
        Assert.Equal(expected, Assert.Throws<ScramException>(() => new ScramServer(ScramMechanism.Sha256).ReceiveClientFirst(clientFirst)).Error);
    }

    [Fact]
    public void ClientNonceLongerThan256CharactersIsRefused()
    {
        var longest = new ScramServer(ScramMechanism.Sha256);
        var tooLong = new ScramServer(ScramMechanism.Sha256);

        Assert.True(longest.TryReceiveClientFirst("n,,n=user,r=" + new string('a', ScramServer.MaximumClientNonceLength), out _));
        Assert.False(tooLong.TryReceiveClientFirst("n,,n=user,r=" + new string('a', ScramServer.MaximumClientNonceLength + 1), out ScramException? error));
        Assert.Equal(ScramError.MalformedMessage, error.Error);
        Assert.Null(tooLong.UserName);
    }

    [Fact]
    public void ClientFirstMessageWithNulOrUnpairedSurrogateIsRefused()
    {
        foreach (string clientFirst in new[] { "n,,n=us\0er,r=abc", "n,,n=user,r=ab\0c", "n\0,,n=user,r=abc", "n,,n=\uD800,r=abc", "n,,n=u\uDC00,r=abc" })
        {
            var server = new ScramServer(ScramMechanism.Sha256);

            Assert.False(server.TryReceiveClientFirst(clientFirst, out ScramException? error));
            Assert.Equal(ScramError.MalformedMessage, error.Error);
        }
    }

    [Fact]
    public void ClientFirstMessageThatIsNotUtf8IsRefused()
    {
        var server = new ScramServer(ScramMechanism.Sha256);
        byte[] bytes = [(byte)'n', (byte)',', (byte)',', (byte)'n', (byte)'=', 0xC0, 0x80, (byte)',', (byte)'r', (byte)'=', (byte)'a'];

        Assert.False(server.TryReceiveClientFirst(bytes, out ScramException? error));
        Assert.Equal(ScramError.MalformedMessage, error.Error);
    }

    [Theory]
    [InlineData("y,,n=user,r=abc", "user")]
    [InlineData("n,,n=a=2Cb=3Dc,r=abc", "a,b=c")]
    [InlineData("n,,n==3D=3D,r=abc", "==")]
    [InlineData("n,,n=用户,r=abc", "用户")]
    [InlineData("n,,n=user,r=abc,x=ignored-extension", "user")]
    public void ClientFirstMessageIsAccepted(string clientFirst, string userName)
    {
        var server = new ScramServer(ScramMechanism.Sha256);

        Assert.True(server.TryReceiveClientFirst(clientFirst, out _));
        Assert.Equal(userName, server.UserName);
    }

    [Fact]
    public void ChannelBindingRefusalSaysSoClearly()
    {
        var server = new ScramServer(ScramMechanism.Sha256);

        ScramException error = Assert.Throws<ScramException>(() => server.ReceiveClientFirst("p=tls-unique,,n=user,r=abc"));

        Assert.Contains("channel binding", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("", ScramError.MalformedMessage)]
    [InlineData("c=biws", ScramError.MalformedMessage)]
    [InlineData("c=biws,r={nonce}", ScramError.MalformedMessage)]
    [InlineData("r={nonce},c=biws,p={proof}", ScramError.MalformedMessage)]
    [InlineData("c=biws=,r={nonce},p={proof}", ScramError.MalformedMessage)]
    [InlineData("c=biw,r={nonce},p={proof}", ScramError.MalformedMessage)]
    [InlineData("c= biws,r={nonce},p={proof}", ScramError.MalformedMessage)]
    [InlineData("c=biws,r={nonce},p={proof},x=ext", ScramError.MalformedMessage)]
    [InlineData("c=biws,r={nonce},p={proof},", ScramError.MalformedMessage)]
    [InlineData("c=biws,r={nonce},p={proof},p={proof}", ScramError.MalformedMessage)]
    [InlineData("c=biws,r={nonce},p=AAAA", ScramError.MalformedMessage)]
    [InlineData("c=biws,r={nonce},p=", ScramError.MalformedMessage)]
    [InlineData("c=biws,r={nonce},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ", ScramError.MalformedMessage)]
    [InlineData("c=biws,r={nonce},p=dHzbZapWIk4jUhN+Ute9ytag9zjf MHgsqmmiz7AndVQ=", ScramError.MalformedMessage)]
    [InlineData("c=biws,r={nonce},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVR=", ScramError.MalformedMessage)]
    [InlineData("c=eSws,r={nonce},p={proof}", ScramError.ChannelBindingMismatch)]
    [InlineData("c=cD10bHMtdW5pcXVlLCw=,r={nonce},p={proof}", ScramError.ChannelBindingMismatch)]
    [InlineData("c=biws,r=rOprNGfwEbeRWgbNEkqO,p={proof}", ScramError.InvalidNonce)]
    [InlineData("c=biws,r={nonce}x,p={proof}", ScramError.InvalidNonce)]
    [InlineData("c=biws,r={nonce},x=ext,p={proof}", ScramError.ExtensionNotSupported)]
    [InlineData("c=biws,r={nonce},m=ext,p={proof}", ScramError.ExtensionNotSupported)]
    [InlineData("c=biws,r={nonce},p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", ScramError.InvalidProof)]
    public void ClientFinalMessageIsRefused(string template, ScramError expected)
    {
        string clientFinal = template.Replace("{nonce}", Rfc7677.Nonce, StringComparison.Ordinal)
            .Replace("{proof}", Rfc7677.ClientProof, StringComparison.Ordinal);
        ScramServer server = Rfc7677.ServerAwaitingClientFinal();

        Assert.False(server.TryCreateServerFinalMessage(clientFinal, out string? serverFinal, out ScramException? error));
        Assert.Null(serverFinal);
        Assert.Equal(expected, error.Error);
        Assert.False(server.IsAuthenticated);
    }

    [Fact]
    public void ChannelBindingMustRepeatTheGs2HeaderTheClientActuallySent()
    {
        var server = new ScramServer(ScramMechanism.Sha256, Rfc7677.ServerNonce);
        server.ReceiveClientFirst("y" + Rfc7677.ClientFirst[1..]);
        server.CreateServerFirstMessage(Rfc7677.Verifier);

        // c=biws is base64("n,,"), but this client said "y,,": a downgrade of the flag is detected.
        Assert.False(server.TryCreateServerFinalMessage(Rfc7677.ClientFinal, out _, out ScramException? error));
        Assert.Equal(ScramError.ChannelBindingMismatch, error.Error);
    }

    [Fact]
    public void ClientFinalMessageWithNulOrUnpairedSurrogateIsRefused()
    {
        foreach (string clientFinal in new[] { Rfc7677.ClientFinal + "\0", "c=biws\0,r=x,p=y", Rfc7677.ClientFinal.Replace("c=biws", "c=bi\uD800ws", StringComparison.Ordinal) })
        {
            ScramServer server = Rfc7677.ServerAwaitingClientFinal();

            Assert.False(server.TryCreateServerFinalMessage(clientFinal, out _, out ScramException? error));
            Assert.Equal(ScramError.MalformedMessage, error.Error);
        }
    }

    [Fact]
    public void ClientFinalMessageThatIsNotUtf8IsRefused()
    {
        ScramServer server = Rfc7677.ServerAwaitingClientFinal();
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(Rfc7677.ClientFinal);
        bytes[3] = 0xFF;

        Assert.False(server.TryCreateServerFinalMessage(bytes, out _, out ScramException? error));
        Assert.Equal(ScramError.MalformedMessage, error.Error);
    }

    [Fact]
    public void VerifierOfAnotherMechanismIsAProgrammingError()
    {
        var server = new ScramServer(ScramMechanism.Sha512);
        server.ReceiveClientFirst(Rfc7677.ClientFirst);

        Assert.Throws<ArgumentException>(() => server.CreateServerFirstMessage(Rfc7677.Verifier));
    }
}
