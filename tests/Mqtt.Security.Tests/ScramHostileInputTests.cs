using System.Collections.Concurrent;
using CsCheck;
using Xunit.Abstractions;
using Mqtt.Security.Scram;

namespace Mqtt.Security.Tests;

/// <summary>
/// Random and mutated messages at every step: the only exception that ever escapes is
/// <see cref="ScramException"/>, and the Try forms never throw at all. Each test also checks that its
/// generator reached several distinct outcomes, so a generator that only makes garbage cannot pass quietly.
/// </summary>
public sealed class ScramHostileInputTests(ITestOutputHelper output)
{
    private const long Iterations = 3000;

    [Fact]
    public void ServerGivenAnyClientFirstMessageThrowsNothingButScramException()
    {
        var outcomes = new Outcomes(output);
        ScramGen.Hostile(Rfc7677.ClientFirst, "y,,n=a=2Cb,r=xyz,e=ext", "p=tls-unique,a=x,n=u,r=n", "n,a=x,n=u,r=n", "n,,n=u,r=n,m=x").Sample(
            message =>
            {
                var server = new ScramServer(ScramMechanism.Sha256);
                bool accepted = outcomes.Run(() => server.ReceiveClientFirst(message));
                Assert.Equal(accepted, server.UserName is not null);

                var other = new ScramServer(ScramMechanism.Sha256);
                Assert.Equal(accepted, other.TryReceiveClientFirst(message, out _));
            },
            iter: Iterations);

        outcomes.AssertVaried(acceptedSome: true, distinctErrors: 4);
    }

    [Fact]
    public void ServerGivenAnyClientFinalMessageAcceptsOnlyTheGenuineOne()
    {
        var outcomes = new Outcomes(output);
        ScramGen.Hostile(Rfc7677.ClientFinal, Rfc7677.ClientFinal.Replace(",p=", ",x=1,p=", StringComparison.Ordinal)).Sample(
            message =>
            {
                ScramServer server = Rfc7677.ServerAwaitingClientFinal();
                bool accepted = outcomes.Run(() => server.CreateServerFinalMessage(message));

                // c=, r= and p= are fixed and nothing may follow p=, so only the untouched message passes.
                Assert.Equal(message == Rfc7677.ClientFinal, accepted);
                Assert.Equal(accepted, server.IsAuthenticated);
            },
            iter: Iterations);

        outcomes.AssertVaried(acceptedSome: false, distinctErrors: 3);
    }

    [Fact]
    public void ClientGivenAnyServerFirstMessageThrowsNothingButScramException()
    {
        var outcomes = new Outcomes(output);
        ScramGen.Hostile(Rfc7677.ServerFirst, $"m=x,r={Rfc7677.Nonce},s=AA==,i=1").Sample(
            message =>
            {
                ScramClient client = Rfc7677.ClientAwaitingServerFirst();
                bool accepted = outcomes.Run(() => client.CreateClientFinalMessage(message));

                // A precomputed salted password only fits the genuine salt, iteration count and client nonce.
                if (accepted)
                {
                    Assert.StartsWith($"r={Rfc7677.ClientNonce}", message, StringComparison.Ordinal);
                    Assert.Contains(",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", message, StringComparison.Ordinal);
                }
            },
            iter: Iterations);

        outcomes.AssertVaried(acceptedSome: true, distinctErrors: 3);
    }

    [Fact]
    public void ClientGivenAnyServerFinalMessageAuthenticatesOnlyOnTheGenuineSignature()
    {
        var outcomes = new Outcomes(output);
        ScramGen.Hostile(Rfc7677.ServerFinal, "e=invalid-proof").Sample(
            message =>
            {
                ScramClient client = Rfc7677.ClientAwaitingServerFinal();
                bool accepted = outcomes.Run(() => client.VerifyServerFinal(message));

                Assert.Equal(accepted, client.IsAuthenticated);
                if (accepted)
                {
                    Assert.True(message == Rfc7677.ServerFinal || message.StartsWith(Rfc7677.ServerFinal + ",", StringComparison.Ordinal));
                }
            },
            iter: Iterations);

        outcomes.AssertVaried(acceptedSome: true, distinctErrors: 3);
    }

    [Fact]
    public void RandomBytesNeverThrowFromTheTryForms()
    {
        Gen.Byte.Array[0, 120].Sample(
            bytes =>
            {
                Assert.False(new ScramServer(ScramMechanism.Sha512).TryReceiveClientFirst(bytes, out _));
                Assert.False(Rfc7677.ServerAwaitingClientFinal().TryCreateServerFinalMessage(bytes, out _, out _));
                Assert.False(Rfc7677.ClientAwaitingServerFirst().TryCreateClientFinalMessage(bytes, out _, out _));
                Assert.False(Rfc7677.ClientAwaitingServerFinal().TryVerifyServerFinal(bytes, out _));
            },
            iter: Iterations);
    }

    [Fact]
    public void VerifierParserGivenAnyTextThrowsOnlyFormatException()
    {
        ScramGen.Hostile(Rfc7677.Verifier.Format()).Sample(
            text =>
            {
                if (ScramVerifier.TryParse(text, out ScramVerifier? verifier))
                {
                    // Parsing is strict enough that only the canonical spelling of a verifier is accepted.
                    Assert.Equal(text, verifier.Format());
                }
                else
                {
                    Assert.Throws<FormatException>(() => ScramVerifier.Parse(text));
                }
            },
            iter: Iterations);
    }

    /// <summary>Tallies step outcomes across CsCheck's threads.</summary>
    private sealed class Outcomes(ITestOutputHelper output)
    {
        private readonly ConcurrentDictionary<string, int> _counts = new();

        /// <summary>Runs a step; true if it succeeded, false if it threw <see cref="ScramException"/>; any other exception fails the test.</summary>
        public bool Run(Action step)
        {
            try
            {
                step();
                _counts.AddOrUpdate("accepted", 1, static (_, n) => n + 1);
                return true;
            }
            catch (ScramException e)
            {
                _counts.AddOrUpdate(e.Error.ToString(), 1, static (_, n) => n + 1);
                return false;
            }
        }

        public void AssertVaried(bool acceptedSome, int distinctErrors)
        {
            string summary = string.Join(", ", _counts.Select(static pair => $"{pair.Key}={pair.Value}"));
            output.WriteLine(summary);
            Assert.True(!acceptedSome || _counts.ContainsKey("accepted"), summary);
            Assert.True(_counts.Keys.Count(static key => key != "accepted") >= distinctErrors, summary);
        }
    }
}
