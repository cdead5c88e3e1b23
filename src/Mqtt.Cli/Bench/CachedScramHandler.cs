using System.Security.Cryptography;
using System.Text;
using Mqtt.Client;
using Mqtt.Codec;
using Mqtt.Security.Scram;

namespace Mqtt.Cli.Bench;

/// <summary>
/// SCRAM-SHA-256/512 for one bench connection, like <see cref="ScramAuthenticationHandler"/> but with the salted
/// password taken from a <see cref="SaltedPasswordCache"/> shared by the run's connections. The exchange itself
/// (fresh nonce, proof, check of the server's signature) is done in full by <see cref="ScramClient"/>.
/// </summary>
public sealed class CachedScramHandler : IEnhancedAuthenticationHandler
{
    private const int MinimumIterations = 4096;
    private const int MaximumIterations = 1_000_000;

    private readonly ScramMechanism _mechanism;
    private readonly string _userName;
    private readonly string _password;
    private readonly SaltedPasswordCache _cache;
    private string _nonce = "";
    private ScramClient? _exchange;

    public CachedScramHandler(ScramMechanism mechanism, string userName, string password, SaltedPasswordCache cache)
    {
        _mechanism = mechanism;
        _userName = userName;
        _password = password;
        _cache = cache;
    }

    public string Method => _mechanism.Name;

    public ValueTask<ReadOnlyMemory<byte>?> StartAsync(bool reauthentication, CancellationToken cancellationToken)
    {
        _nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        _exchange = new ScramClient(_mechanism, _userName, _password, _nonce);
        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(Encoding.UTF8.GetBytes(_exchange.CreateClientFirstMessage()));
    }

    public ValueTask<ReadOnlyMemory<byte>?> ContinueAsync(ReadOnlyMemory<byte>? serverData, CancellationToken cancellationToken)
    {
        ScramClient exchange = _exchange ?? throw new MqttAuthenticationException($"{Method}: the server answered before the exchange started", ReasonCode.ProtocolError);
        ReadOnlySpan<byte> serverFirst = (serverData ?? ReadOnlyMemory<byte>.Empty).Span;
        if (TryReadSaltAndIterations(serverFirst, out byte[]? salt, out int iterations))
        {
            // Same nonce and user, so the same client-first-message: this exchange takes over where the other stopped.
            byte[] salted = _cache.GetOrCompute(salt, iterations, () => _mechanism.ComputeSaltedPassword(_password, salt, iterations));
            exchange = new ScramClient(_mechanism, _userName, salted, salt, iterations, _nonce);
            _ = exchange.CreateClientFirstMessage();
            _exchange = exchange;
        }
        if (!exchange.TryCreateClientFinalMessage(serverFirst, out string? clientFinal, out ScramException? error))
        {
            throw new MqttAuthenticationException($"{Method}: the server-first-message was refused: {error.Message}", ReasonCode.NotAuthorized, error);
        }
        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(Encoding.UTF8.GetBytes(clientFinal));
    }

    public ValueTask<bool> CompleteAsync(ReadOnlyMemory<byte>? serverData, CancellationToken cancellationToken) =>
        ValueTask.FromResult(serverData is not null && _exchange is not null && _exchange.TryVerifyServerFinal(serverData.Value.Span, out _));

    /// <summary>
    /// s= and i= of a server-first-message (r=...,s=...,i=...) when they look sane; anything else is left to
    /// <see cref="ScramClient"/>, which refuses it with the precise error.
    /// </summary>
    private static bool TryReadSaltAndIterations(ReadOnlySpan<byte> serverFirst, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? salt, out int iterations)
    {
        salt = null;
        iterations = 0;
        string text = Encoding.UTF8.GetString(serverFirst);
        foreach (string attribute in text.Split(','))
        {
            if (attribute.StartsWith("s=", StringComparison.Ordinal))
            {
                try
                {
                    salt = Convert.FromBase64String(attribute[2..]);
                }
                catch (FormatException)
                {
                    return false;
                }
            }
            else if (attribute.StartsWith("i=", StringComparison.Ordinal) && !int.TryParse(attribute.AsSpan(2), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out iterations))
            {
                return false;
            }
        }
        return salt is { Length: > 0 } && iterations is >= MinimumIterations and <= MaximumIterations;
    }
}
