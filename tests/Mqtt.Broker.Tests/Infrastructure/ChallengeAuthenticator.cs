using System.Text;
using Mqtt.Codec;

namespace Mqtt.Broker.Tests;

/// <summary>
/// A test enhanced-authentication method with two challenge rounds: the client opens with "hello", answers
/// "challenge-1" with "answer-1" and "challenge-2" with "answer-2", and gets "welcome" on success.
/// </summary>
internal sealed class ChallengeAuthenticator : IEnhancedAuthenticator
{
    public const string Name = "TEST-CHALLENGE";

    public string Method => Name;

    public int Started;

    public IAuthenticationExchange Start(ClientInfo client, string? userName)
    {
        Interlocked.Increment(ref Started);
        return new Exchange();
    }

    private sealed class Exchange : IAuthenticationExchange
    {
        private int _round;

        public ValueTask<AuthenticationResult> StepAsync(ReadOnlyMemory<byte> clientData, CancellationToken cancellationToken)
        {
            string data = Encoding.UTF8.GetString(clientData.Span);
            AuthenticationResult result = (_round++, data) switch
            {
                (0, "hello") => AuthenticationResult.Continue("challenge-1"u8.ToArray()),
                (1, "answer-1") => AuthenticationResult.Continue("challenge-2"u8.ToArray()),
                (2, "answer-2") => AuthenticationResult.Succeed("alice", "welcome"u8.ToArray()),
                _ => AuthenticationResult.Fail(ReasonCode.NotAuthorized),
            };
            return new(result);
        }
    }
}
