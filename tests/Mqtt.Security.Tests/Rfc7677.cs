using System.Text.Json;
using Mqtt.Security.Scram;

namespace Mqtt.Security.Tests;

/// <summary>The RFC 7677 SCRAM-SHA-256 example (Vectors/scram-rfc7677.json) and exchanges parked at each step of it.</summary>
internal static class Rfc7677
{
    static Rfc7677()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Vectors", "scram-rfc7677.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement vector = document.RootElement.GetProperty("vectors")[0];
        Mechanism = vector.GetProperty("mechanism").GetString()!;
        User = vector.GetProperty("user").GetString()!;
        Password = vector.GetProperty("password").GetString()!;
        ClientNonce = vector.GetProperty("client_nonce").GetString()!;
        ClientFirst = vector.GetProperty("client_first").GetString()!;
        ServerFirst = vector.GetProperty("server_first").GetString()!;
        ClientFinal = vector.GetProperty("client_final").GetString()!;
        ServerFinal = vector.GetProperty("server_final").GetString()!;

        // server_first = r=<nonce>,s=<salt>,i=<iterations>
        string[] fields = ServerFirst.Split(',');
        Nonce = fields[0][2..];
        ServerNonce = Nonce[ClientNonce.Length..];
        Salt = Convert.FromBase64String(fields[1][2..]);
        IterationCount = int.Parse(fields[2][2..], System.Globalization.CultureInfo.InvariantCulture);
        ClientProof = ClientFinal[(ClientFinal.IndexOf(",p=", StringComparison.Ordinal) + 3)..];
        ServerSignature = ServerFinal[2..];

        SaltedPassword = ScramMechanism.Sha256.ComputeSaltedPassword(Password, Salt, IterationCount);
        Verifier = ScramVerifier.Derive(ScramMechanism.Sha256, Password, Salt, IterationCount);
    }

    public static string Mechanism { get; }

    public static string User { get; }

    public static string Password { get; }

    public static string ClientNonce { get; }

    public static string ClientFirst { get; }

    public static string ServerFirst { get; }

    public static string ClientFinal { get; }

    public static string ServerFinal { get; }

    /// <summary>The combined nonce: client nonce followed by the server's part.</summary>
    public static string Nonce { get; }

    public static string ServerNonce { get; }

    public static byte[] Salt { get; }

    public static int IterationCount { get; }

    public static string ClientProof { get; }

    public static string ServerSignature { get; }

    public static byte[] SaltedPassword { get; }

    public static ScramVerifier Verifier { get; }

    /// <summary>A client with the vector's nonce, before any message (precomputed salted password: no PBKDF2).</summary>
    public static ScramClient NewClient() =>
        new(ScramMechanism.Sha256, User, SaltedPassword, Salt, IterationCount, ClientNonce);

    public static ScramClient ClientAwaitingServerFirst()
    {
        ScramClient client = NewClient();
        client.CreateClientFirstMessage();
        return client;
    }

    public static ScramClient ClientAwaitingServerFinal()
    {
        ScramClient client = ClientAwaitingServerFirst();
        client.CreateClientFinalMessage(ServerFirst);
        return client;
    }

    public static ScramServer ServerAwaitingClientFinal()
    {
        var server = new ScramServer(ScramMechanism.Sha256, ServerNonce);
        server.ReceiveClientFirst(ClientFirst);
        server.CreateServerFirstMessage(Verifier);
        return server;
    }
}
