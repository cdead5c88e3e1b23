using Mqtt.Security.Credentials;
using Mqtt.Security.Hpke;

namespace Mqtt.Security.Tests;

/// <summary>The sealed MQTTCORE-REGISTER data (docs/security.md): HPKE base mode to the broker's per-exchange key.</summary>
public sealed class SealedScramRegistrationTests : IDisposable
{
    private static readonly UserCredentials Rita = UserCredentials.Derive("rita", "pw-rita");
    private readonly HpkePrivateKey brokerKey = DhkemP256.GenerateKeyPair();

    public void Dispose() => brokerKey.Dispose();

    [Fact]
    public void A_sealed_registration_opens_under_the_brokers_key_to_the_same_credentials()
    {
        byte[] sealedData = SealedScramRegistration.Seal(Rita, brokerKey.PublicKey.Encoded);

        Assert.True(SealedScramRegistration.TryOpen(sealedData, brokerKey, out UserCredentials? opened, out string? problem), problem);
        Assert.Equal(Rita.FormatLine(), opened.FormatLine());
    }

    /// <summary>Pins the wire format: enc || ciphertext, RFC 9180 base mode, AES-256-GCM, this info, empty aad, a version 1 registration inside.</summary>
    [Fact]
    public void The_sealed_data_is_enc_then_an_RFC_9180_base_mode_ciphertext_of_the_version_1_registration()
    {
        byte[] sealedData = SealedScramRegistration.Seal(Rita, brokerKey.PublicKey.Encoded);

        byte[] plaintext = HpkeSuite.DhkemP256HkdfSha256Aes256Gcm.OpenBase(
            sealedData.AsSpan(0, 65), brokerKey, "MQTTCORE-REGISTER v2"u8, [], sealedData.AsSpan(65));

        Assert.Equal(ScramRegistration.Encode(Rita), plaintext);
        Assert.Equal(65 + plaintext.Length + 16, sealedData.Length);
    }

    [Fact]
    public void It_does_not_open_under_another_key()
    {
        using HpkePrivateKey other = DhkemP256.GenerateKeyPair();
        byte[] sealedData = SealedScramRegistration.Seal(Rita, other.PublicKey.Encoded);

        Assert.False(SealedScramRegistration.TryOpen(sealedData, brokerKey, out _, out string? problem));
        Assert.Contains("does not open", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_flipped_byte_makes_it_fail_to_open()
    {
        byte[] sealedData = SealedScramRegistration.Seal(Rita, brokerKey.PublicKey.Encoded);
        for (int i = 0; i < sealedData.Length; i++)
        {
            byte[] tampered = (byte[])sealedData.Clone();
            tampered[i] ^= 0x80;
            Assert.False(SealedScramRegistration.TryOpen(tampered, brokerKey, out _, out _), $"opened with byte {i} flipped");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(80)]
    [InlineData(SealedScramRegistration.MaximumSealedLength + 1)]
    public void Data_of_the_wrong_size_is_refused_unopened(int length)
    {
        Assert.False(SealedScramRegistration.TryOpen(new byte[length], brokerKey, out _, out string? problem));
        Assert.Contains("wrong size", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_well_sealed_message_that_is_not_a_registration_is_refused()
    {
        (byte[] enc, byte[] ciphertext) = SealedScramRegistration.Suite.SealBase(brokerKey.PublicKey, SealedScramRegistration.Info, [], "hello"u8);

        Assert.False(SealedScramRegistration.TryOpen([.. enc, .. ciphertext], brokerKey, out _, out string? problem));
        Assert.Contains("version 1", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Sealing_to_a_key_that_is_not_a_P256_point_throws_HpkeException()
    {
        byte[] notAPoint = new byte[SealedScramRegistration.BrokerKeySize];
        notAPoint[0] = 0x04;
        Assert.Equal(HpkeError.InvalidPublicKey, Assert.Throws<HpkeException>(() => SealedScramRegistration.Seal(Rita, notAPoint)).Error);
    }

    /// <summary>
    /// The broker tells the forms apart by CONNECT's data alone: the request is exactly 0x02, a single-step registration
    /// starts with 0x01, and a sealed registration (misplaced into CONNECT) with enc's 0x04.
    /// </summary>
    [Fact]
    public void Only_exactly_one_byte_0x02_is_a_request_for_the_sealed_form()
    {
        Assert.True(SealedScramRegistration.IsRequest(SealedScramRegistration.Request.Span));
        Assert.Equal([0x02], SealedScramRegistration.Request.ToArray());
        Assert.False(SealedScramRegistration.IsRequest([]));
        Assert.False(SealedScramRegistration.IsRequest([0x02, 0x00]));
        Assert.Equal(0x01, ScramRegistration.Encode(Rita)[0]);
        Assert.False(SealedScramRegistration.IsRequest(ScramRegistration.Encode(Rita)));
        Assert.Equal(0x04, SealedScramRegistration.Seal(Rita, brokerKey.PublicKey.Encoded)[0]);
    }
}
