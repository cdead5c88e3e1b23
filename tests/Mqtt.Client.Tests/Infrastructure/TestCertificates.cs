using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mqtt.Client.Tests;

/// <summary>
/// A throw-away PKI made with <see cref="CertificateRequest"/>: a self-signed CA, a server certificate it signs for
/// 127.0.0.1 and localhost, and the CA as a PEM file for --cafile. Made once per test run (key generation is not free).
/// </summary>
public sealed class TestCertificates
{
    private static readonly Lazy<TestCertificates> Trusted = new(() => new TestCertificates("MqttCore Test CA", ["127.0.0.1"], ["localhost"]));
    private static readonly Lazy<TestCertificates> Other = new(() => new TestCertificates("Some Other CA", ["127.0.0.1"], ["localhost"]));
    private static readonly Lazy<TestCertificates> OtherHost = new(() => new TestCertificates("MqttCore Test CA (other host)", [], ["mqtt.example"]));

    private TestCertificates(string caName, string[] ipAddresses, string[] dnsNames)
    {
        DateTimeOffset notBefore = DateTimeOffset.UtcNow.AddMinutes(-5);
        DateTimeOffset notAfter = notBefore.AddDays(1);

        using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN={caName}", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using X509Certificate2 ca = caRequest.CreateSelfSigned(notBefore, notAfter);

        using ECDsa serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=mqttcore test broker", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (string ip in ipAddresses)
        {
            names.AddIpAddress(IPAddress.Parse(ip));
        }
        foreach (string dns in dnsNames)
        {
            names.AddDnsName(dns);
        }
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // serverAuth
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        serverRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(serverRequest.PublicKey, false));
        using X509Certificate2 signed = serverRequest.Create(ca, notBefore, notAfter, RandomNumberGenerator.GetBytes(16));
        using X509Certificate2 withKey = signed.CopyWithPrivateKey(serverKey);
        // Through PKCS#12 so that the private key is usable by SslStream on every platform.
        ServerCertificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);

        CaFile = Path.Combine(Path.GetTempPath(), $"mqttcore-test-ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(CaFile, ca.ExportCertificatePem() + "\n");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(CaFile);
    }

    /// <summary>A CA and a server certificate for 127.0.0.1 and localhost.</summary>
    public static TestCertificates Default => Trusted.Value;

    /// <summary>Another CA (with its own server certificate): its CA file does not vouch for <see cref="Default"/>'s server.</summary>
    public static TestCertificates Unrelated => Other.Value;

    /// <summary>A CA whose server certificate names only mqtt.example, not 127.0.0.1.</summary>
    public static TestCertificates WrongHost => OtherHost.Value;

    /// <summary>The server certificate with its private key.</summary>
    public X509Certificate2 ServerCertificate { get; }

    /// <summary>PEM file holding the CA certificate, deleted when the test process exits.</summary>
    public string CaFile { get; }
}
