using Mqtt.Codec;
using static Mqtt.Client.Tests.TestClients;

namespace Mqtt.Client.Tests;

/// <summary>
/// TLS to our broker's TLS listener with a certificate made in the test: the client checks the chain against a CA file,
/// refuses a CA it does not know and a certificate for another host, and connects anyway only in explicit insecure mode.
/// </summary>
public sealed class TlsTests
{
    [Theory]
    [InlineData(ProtocolVersion.V500)]
    [InlineData(ProtocolVersion.V311)]
    public async Task Client_verifies_the_chain_with_the_CA_file_and_talks_MQTT_over_TLS(ProtocolVersion version)
    {
        TestCertificates pki = TestCertificates.Default;
        await using OurBroker broker = await OurBroker.StartAsync(certificate: pki.ServerCertificate);
        await using MqttClient client = await ConnectAsync(broker.TlsPort, version, o =>
        {
            o.UseTls = true;
            o.CaFile = pki.CaFile;
        });

        await client.SubscribeAsync("tls/#", QualityOfService.ExactlyOnce);
        await using MqttClient plain = await ConnectAsync(broker.Port, version);
        await plain.PublishAsync("tls/secret", Bytes("sealed"), QualityOfService.ExactlyOnce);
        Assert.Equal("sealed", Text((await client.ReceiveAsync(1))[0]));
        await client.DisconnectAsync();
    }

    public static TheoryData<string> UntrustedSetups() => ["system store", "another CA file"];

    [Theory]
    [MemberData(nameof(UntrustedSetups))]
    public async Task Client_refuses_a_broker_certificate_from_an_unknown_CA(string setup)
    {
        await using OurBroker broker = await OurBroker.StartAsync(certificate: TestCertificates.Default.ServerCertificate);
        await using var client = new MqttClient(Options(broker.TlsPort));
        client.Options.UseTls = true;
        client.Options.CaFile = setup == "another CA file" ? TestCertificates.Unrelated.CaFile : null;

        MqttTransportException e = await Assert.ThrowsAsync<MqttTransportException>(() => client.ConnectAsync());
        Assert.Contains("TLS handshake", e.Message);
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task Client_refuses_a_certificate_that_does_not_name_the_host_even_from_the_trusted_CA()
    {
        TestCertificates pki = TestCertificates.WrongHost;
        await using OurBroker broker = await OurBroker.StartAsync(certificate: pki.ServerCertificate);
        await using var client = new MqttClient(Options(broker.TlsPort));
        client.Options.UseTls = true;
        client.Options.CaFile = pki.CaFile;

        await Assert.ThrowsAsync<MqttTransportException>(() => client.ConnectAsync());
    }

    [Fact]
    public async Task Insecure_mode_connects_to_a_broker_it_cannot_verify()
    {
        await using OurBroker broker = await OurBroker.StartAsync(certificate: TestCertificates.Unrelated.ServerCertificate);
        await using MqttClient client = await ConnectAsync(broker.TlsPort, configure: o =>
        {
            o.UseTls = true;
            o.AllowUntrustedCertificates = true;
        });

        await client.SubscribeAsync("insecure", QualityOfService.AtLeastOnce);
        await client.PublishAsync("insecure", Bytes("still encrypted"), QualityOfService.AtLeastOnce);
        Assert.Equal("still encrypted", Text((await client.ReceiveAsync(1))[0]));
    }

    [Fact]
    public async Task Unreadable_CA_file_is_a_transport_error_naming_the_file()
    {
        await using OurBroker broker = await OurBroker.StartAsync(certificate: TestCertificates.Default.ServerCertificate);
        await using var client = new MqttClient(Options(broker.TlsPort));
        client.Options.UseTls = true;
        client.Options.CaFile = Path.Combine(Path.GetTempPath(), "mqttcore-no-such-ca.pem");

        MqttTransportException e = await Assert.ThrowsAsync<MqttTransportException>(() => client.ConnectAsync());
        Assert.Contains("mqttcore-no-such-ca.pem", e.Message);
    }
}
