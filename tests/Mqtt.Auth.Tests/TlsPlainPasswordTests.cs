using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mqtt.Broker;
using MQTTnet;
using MQTTnet.Formatter;

namespace Mqtt.Auth.Tests;

/// <summary>With the default policy (plain passwords on TLS only) an MQTT 3.1.1 client logs in over TLS and is refused on plain TCP.</summary>
public sealed class TlsPlainPasswordTests
{
    [Fact]
    public async Task An_MQTT_311_client_logs_in_with_a_password_over_TLS_but_not_over_plain_TCP()
    {
        using X509Certificate2 certificate = SelfSigned();
        await using TestBroker broker = await TestBroker.StartAsync(
            security: o => o.PlainPasswords = PlainPasswordPolicy.Tls,
            broker: o =>
            {
                o.TlsListeners.Add(new IPEndPoint(IPAddress.Loopback, 0));
                o.Certificate = certificate;
            });
        await broker.AddUserAsync("alice", "pw-alice");
        IPEndPoint plain = broker.Broker.Endpoints.First(e => !e.IsTls).EndPoint;
        IPEndPoint tls = broker.Broker.Endpoints.First(e => e.IsTls).EndPoint;

        using IMqttClient overTls = new MqttClientFactory().CreateMqttClient();
        (MqttClientConnectResultCode tlsCode, _) = await MqttNet.ConnectAsync(overTls, Options(tls)
            .WithTlsOptions(o => o.UseTls().WithCertificateValidationHandler(_ => true)).Build());
        using IMqttClient overTcp = new MqttClientFactory().CreateMqttClient();
        (MqttClientConnectResultCode tcpCode, _) = await MqttNet.ConnectAsync(overTcp, Options(plain).Build());

        Assert.Equal(MqttClientConnectResultCode.Success, tlsCode);
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, tcpCode);

        static MqttClientOptionsBuilder Options(IPEndPoint endPoint) =>
            MqttNet.Options(endPoint, "alice-311").WithProtocolVersion(MqttProtocolVersion.V311).WithCredentials("alice", "pw-alice");
    }

    [Fact]
    public async Task Over_WebSocket_only_wss_counts_as_TLS_for_a_plain_password()
    {
        using X509Certificate2 certificate = SelfSigned();
        await using TestBroker broker = await TestBroker.StartAsync(
            security: o => o.PlainPasswords = PlainPasswordPolicy.Tls,
            broker: o =>
            {
                o.WebSocketListeners.Add(new IPEndPoint(IPAddress.Loopback, 0));
                o.TlsWebSocketListeners.Add(new IPEndPoint(IPAddress.Loopback, 0));
                o.Certificate = certificate;
            });
        await broker.AddUserAsync("alice", "pw-alice");
        int ws = broker.Broker.Endpoints.Single(e => e.Scheme == "ws").EndPoint.Port;
        int wss = broker.Broker.Endpoints.Single(e => e.Scheme == "wss").EndPoint.Port;

        using IMqttClient overWss = new MqttClientFactory().CreateMqttClient();
        (MqttClientConnectResultCode wssCode, _) = await MqttNet.ConnectAsync(overWss, Options($"wss://127.0.0.1:{wss}/mqtt")
            .WithTlsOptions(o => o.UseTls().WithCertificateValidationHandler(_ => true)).Build());
        using IMqttClient overWs = new MqttClientFactory().CreateMqttClient();
        (MqttClientConnectResultCode wsCode, _) = await MqttNet.ConnectAsync(overWs, Options($"ws://127.0.0.1:{ws}/mqtt").Build());

        Assert.Equal(MqttClientConnectResultCode.Success, wssCode);
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, wsCode);

        static MqttClientOptionsBuilder Options(string uri) => new MqttClientOptionsBuilder()
            .WithWebSocketServer(o => o.WithUri(uri))
            .WithClientId("alice-ws")
            .WithProtocolVersion(MqttProtocolVersion.V311)
            .WithCredentials("alice", "pw-alice")
            .WithTimeout(TimeSpan.FromSeconds(15));
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using X509Certificate2 ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
    }
}
