using System.Security.Cryptography;
using System.Text;
using Mqtt.Broker;
using Mqtt.Codec;

namespace Mqtt.Interop.Tests.MqttNet;

/// <summary>
/// A test enhanced-authentication method, "TEST-CHALLENGE": the broker sends a random nonce in AUTH 0x18, the
/// client answers HMAC-SHA256(key, nonce); on success CONNACK carries HMAC-SHA256(key, "server" + nonce) so the
/// client can check the broker knew the key too. Unknown user: 0x86; wrong answer: 0x87.
/// </summary>
internal sealed class ChallengeAuthenticator(IReadOnlyDictionary<string, byte[]> keys) : IEnhancedAuthenticator
{
    public const string Name = "TEST-CHALLENGE";

    public string Method => Name;

    /// <summary>Exchanges started, for the tests to check the broker used this method.</summary>
    public int Started;

    public IAuthenticationExchange Start(ClientInfo client, string? userName)
    {
        Interlocked.Increment(ref Started);
        return new Exchange(userName is not null && keys.TryGetValue(userName, out byte[]? key) ? key : null, userName);
    }

    public static byte[] Answer(byte[] key, ReadOnlySpan<byte> nonce) => HMACSHA256.HashData((ReadOnlySpan<byte>)key, nonce);

    public static byte[] ServerProof(byte[] key, ReadOnlySpan<byte> nonce) => HMACSHA256.HashData((ReadOnlySpan<byte>)key, [.. Encoding.ASCII.GetBytes("server"), .. nonce]);

    private sealed class Exchange(byte[]? key, string? userName) : IAuthenticationExchange
    {
        private byte[]? _nonce;

        public ValueTask<AuthenticationResult> StepAsync(ReadOnlyMemory<byte> clientData, CancellationToken cancellationToken)
        {
            if (key is null)
            {
                return new(AuthenticationResult.Fail(ReasonCode.BadUserNameOrPassword));
            }
            if (_nonce is null)
            {
                _nonce = RandomNumberGenerator.GetBytes(16);
                return new(AuthenticationResult.Continue(_nonce));
            }
            bool right = CryptographicOperations.FixedTimeEquals(clientData.Span, Answer(key, _nonce));
            return new(right
                ? AuthenticationResult.Succeed(userName, ServerProof(key, _nonce))
                : AuthenticationResult.Fail(ReasonCode.NotAuthorized));
        }
    }
}
