using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Mqtt.Client;
using Mqtt.Codec;
using Mqtt.Security.Scram;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;
using MQTTnet.Server.EnhancedAuthentication;
using OurClient = Mqtt.Client.MqttClient;
using OurOptions = Mqtt.Client.MqttClientOptions;

namespace Mqtt.Auth.Tests;

/// <summary>
/// Wire compatibility the other way round: our client's SCRAM logs in to an MQTTnet 5 server whose SCRAM authenticator
/// is written here from RFC 5802 (checked against RFC 7677's example first), not from Mqtt.Security.
/// </summary>
public sealed class MqttNetServerScramTests
{
    [Fact]
    public void Test_server_reproduces_the_RFC_7677_exchange()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "scram-rfc7677.json")));
        JsonElement v = document.RootElement.GetProperty("vectors")[0];
        string clientNonce = v.GetProperty("client_nonce").GetString()!;
        string serverFirstExpected = v.GetProperty("server_first").GetString()!;
        Dictionary<char, string> first = RfcScramServer.Parse(serverFirstExpected);
        var server = new RfcScramServer("SCRAM-SHA-256", v.GetProperty("user").GetString()!, v.GetProperty("password").GetString()!,
            Convert.FromBase64String(first['s']), int.Parse(first['i'], System.Globalization.CultureInfo.InvariantCulture), first['r'][clientNonce.Length..]);

        Assert.Equal(serverFirstExpected, server.ServerFirst(v.GetProperty("client_first").GetString()!));
        Assert.Equal(v.GetProperty("server_final").GetString(), server.ServerFinal(v.GetProperty("client_final").GetString()!));
        string forged = v.GetProperty("client_final").GetString()!.Replace("p=dHzb", "p=dHzc", StringComparison.Ordinal);
        var again = new RfcScramServer("SCRAM-SHA-256", "user", "pencil", Convert.FromBase64String(first['s']), 4096, first['r'][clientNonce.Length..]);
        again.ServerFirst(v.GetProperty("client_first").GetString()!);
        Assert.Null(again.ServerFinal(forged));
    }

    [Theory]
    [InlineData("SCRAM-SHA-256")]
    [InlineData("SCRAM-SHA-512")]
    public async Task Our_client_logs_in_to_an_MQTTnet_server_with_an_RFC_SCRAM_authenticator(string mechanism)
    {
        await using var server = await ScramMqttNetServer.StartAsync("alice", "pw-alice");
        var handler = ScramAuthenticationHandler.Create(mechanism, "alice", "pw-alice");
        await using var client = new OurClient(Options(server.Port, handler));

        MqttConnectResult result = await client.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ReasonCode.Success, result.ReasonCode);
        Assert.True(handler.IsServerAuthenticated);
        Assert.Equal(mechanism, server.LastSuccess);
        Assert.True((await client.PublishAsync("alice/x", "hi"u8.ToArray(), QualityOfService.AtLeastOnce)).IsSuccess);
        await client.DisconnectAsync();
    }

    [Fact]
    public async Task A_wrong_password_is_refused_by_the_MQTTnet_server_and_a_forged_signature_by_our_client()
    {
        await using var server = await ScramMqttNetServer.StartAsync("alice", "pw-alice");
        await using (var wrong = new OurClient(Options(server.Port, new ScramAuthenticationHandler(ScramMechanism.Sha256, "alice", "nope"))))
        {
            MqttConnectException refused = await Assert.ThrowsAsync<MqttConnectException>(() => wrong.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(ReasonCode.BadUserNameOrPassword, refused.Result.ReasonCode);
        }

        server.ForgeSignature = true;
        var handler = new ScramAuthenticationHandler(ScramMechanism.Sha256, "alice", "pw-alice");
        await using var client = new OurClient(Options(server.Port, handler));
        await Assert.ThrowsAsync<MqttAuthenticationException>(() => client.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(ScramError.ServerSignatureMismatch, handler.LastError?.Error);
    }

    [Fact]
    public async Task A_server_asking_for_fewer_than_4096_iterations_is_refused_by_our_client()
    {
        await using var server = await ScramMqttNetServer.StartAsync("alice", "pw-alice", iterations: 1024);
        var handler = new ScramAuthenticationHandler(ScramMechanism.Sha256, "alice", "pw-alice");
        await using var client = new OurClient(Options(server.Port, handler));

        MqttAuthenticationException failure = await Assert.ThrowsAsync<MqttAuthenticationException>(() => client.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(ScramError.IterationCountTooLow, Assert.IsType<ScramException>(failure.InnerException).Error);
        Assert.Null(server.LastSuccess);
    }

    private static OurOptions Options(int port, IEnhancedAuthenticationHandler handler) => new()
    {
        Host = "127.0.0.1",
        Port = port,
        ClientId = "ours-" + Guid.NewGuid().ToString("N")[..8],
        AuthenticationHandler = handler,
        ConnectTimeout = TimeSpan.FromSeconds(20),
    };
}

/// <summary>An MQTTnet 5 server on 127.0.0.1 that knows one user and authenticates it with <see cref="RfcScramServer"/>.</summary>
internal sealed class ScramMqttNetServer : IAsyncDisposable
{
    private readonly MqttServer _server;
    private readonly string _user;
    private readonly string _password;

    private readonly int _iterations;

    private ScramMqttNetServer(MqttServer server, int port, string user, string password, int iterations)
    {
        _iterations = iterations;
        _server = server;
        Port = port;
        _user = user;
        _password = password;
        _server.ValidatingConnectionAsync += ValidateAsync;
    }

    public int Port { get; }

    public volatile bool ForgeSignature;

    public string? LastSuccess { get; private set; }

    public static async Task<ScramMqttNetServer> StartAsync(string user, string password, int iterations = 4096)
    {
        int port = FreePort();
        var factory = new MqttServerFactory();
        MqttServerOptions options = factory.CreateServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointBoundIPV6Address(IPAddress.None)
            .WithDefaultEndpointPort(port)
            .Build();
        MqttServer server = factory.CreateMqttServer(options);
        var wrapper = new ScramMqttNetServer(server, port, user, password, iterations);
        await server.StartAsync();
        return wrapper;
    }

    private async Task ValidateAsync(ValidatingConnectionEventArgs e)
    {
        if (e.AuthenticationMethod is not ("SCRAM-SHA-256" or "SCRAM-SHA-512"))
        {
            e.ReasonCode = MqttConnectReasonCode.BadAuthenticationMethod;
            return;
        }

        var scram = new RfcScramServer(e.AuthenticationMethod, _user, _password, RandomNumberGenerator.GetBytes(16), _iterations,
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)));
        string? serverFirst = scram.ServerFirst(Encoding.UTF8.GetString(e.AuthenticationData ?? []));
        if (serverFirst is null)
        {
            e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            return;
        }

        // Sends AUTH 0x18 with server-first and waits for the client's AUTH 0x18 with client-final.
        ExchangeEnhancedAuthenticationResult answer = await e.ExchangeEnhancedAuthenticationAsync(
            new ExchangeEnhancedAuthenticationOptions { AuthenticationData = Encoding.UTF8.GetBytes(serverFirst) }, e.CancellationToken);
        string? serverFinal = scram.ServerFinal(Encoding.UTF8.GetString(answer.AuthenticationData ?? []));
        if (serverFinal is null)
        {
            e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            return;
        }

        if (ForgeSignature)
        {
            byte[] signature = Convert.FromBase64String(serverFinal[2..]);
            signature[^1] ^= 0x80;
            serverFinal = "v=" + Convert.ToBase64String(signature);
        }

        e.ResponseAuthenticationData = Encoding.UTF8.GetBytes(serverFinal);
        e.ReasonCode = MqttConnectReasonCode.Success;
        LastSuccess = e.AuthenticationMethod;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync();
        _server.Dispose();
    }
}

/// <summary>
/// The server side of SCRAM written from RFC 5802 sections 3 and 5 for these tests (BCL primitives only): it knows the
/// password and derives SaltedPassword, StoredKey and ServerKey itself.
/// </summary>
internal sealed class RfcScramServer
{
    private readonly HashAlgorithmName _hash;
    private readonly int _size;
    private readonly string _user;
    private readonly byte[] _salt;
    private readonly int _iterations;
    private readonly string _serverNonce;
    private readonly byte[] _storedKey;
    private readonly byte[] _serverKey;
    private string? _clientFirstBare;
    private string? _serverFirst;
    private string? _nonce;

    public RfcScramServer(string mechanism, string user, string password, byte[] salt, int iterations, string serverNonce)
    {
        _hash = mechanism == "SCRAM-SHA-512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256;
        _size = _hash == HashAlgorithmName.SHA512 ? 64 : 32;
        _user = user;
        _salt = salt;
        _iterations = iterations;
        _serverNonce = serverNonce;
        byte[] salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, _hash, _size);
        _storedKey = Hash(Hmac(salted, "Client Key"u8.ToArray()));
        _serverKey = Hmac(salted, "Server Key"u8.ToArray());
    }

    /// <summary>server-first-message for a client-first-message, or null when it is refused (not "n,," or another user).</summary>
    public string? ServerFirst(string clientFirst)
    {
        if (!clientFirst.StartsWith("n,,", StringComparison.Ordinal))
        {
            return null;
        }

        _clientFirstBare = clientFirst[3..];
        Dictionary<char, string> attributes = Parse(_clientFirstBare);
        string name = attributes.GetValueOrDefault('n', "").Replace("=2C", ",", StringComparison.Ordinal).Replace("=3D", "=", StringComparison.Ordinal);
        if (name != _user || !attributes.TryGetValue('r', out string? clientNonce))
        {
            return null;
        }

        _nonce = clientNonce + _serverNonce;
        _serverFirst = $"r={_nonce},s={Convert.ToBase64String(_salt)},i={_iterations}";
        return _serverFirst;
    }

    /// <summary>server-final-message (<c>v=</c>) for a client-final-message, or null when the proof or nonce is wrong.</summary>
    public string? ServerFinal(string clientFinal)
    {
        int proofAt = clientFinal.LastIndexOf(",p=", StringComparison.Ordinal);
        if (_serverFirst is null || proofAt < 0)
        {
            return null;
        }

        string withoutProof = clientFinal[..proofAt];
        Dictionary<char, string> attributes = Parse(withoutProof);
        if (attributes.GetValueOrDefault('c') != "biws" || attributes.GetValueOrDefault('r') != _nonce)
        {
            return null;
        }

        byte[] proof = Convert.FromBase64String(clientFinal[(proofAt + 3)..]);
        byte[] authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{_serverFirst},{withoutProof}");
        byte[] clientSignature = Hmac(_storedKey, authMessage);
        if (proof.Length != _size)
        {
            return null;
        }

        byte[] clientKey = new byte[_size];
        for (int i = 0; i < _size; i++)
        {
            clientKey[i] = (byte)(proof[i] ^ clientSignature[i]);
        }

        if (!CryptographicOperations.FixedTimeEquals(Hash(clientKey), _storedKey))
        {
            return null;
        }

        return "v=" + Convert.ToBase64String(Hmac(_serverKey, authMessage));
    }

    public static Dictionary<char, string> Parse(string message)
    {
        var attributes = new Dictionary<char, string>();
        foreach (string part in message.Split(','))
        {
            if (part.Length >= 2 && part[1] == '=')
            {
                attributes[part[0]] = part[2..];
            }
        }

        return attributes;
    }

    private byte[] Hmac(byte[] key, byte[] data) =>
        _hash == HashAlgorithmName.SHA512 ? HMACSHA512.HashData(key, data) : HMACSHA256.HashData(key, data);

    private byte[] Hash(byte[] data) => _hash == HashAlgorithmName.SHA512 ? SHA512.HashData(data) : SHA256.HashData(data);
}
