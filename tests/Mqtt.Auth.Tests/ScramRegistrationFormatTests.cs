using CsCheck;
using Mqtt.Security.Credentials;
using Mqtt.Security.Scram;

namespace Mqtt.Auth.Tests;

/// <summary>The MQTTCORE-REGISTER Authentication Data: exact layout, strict decoding, no crash on any input.</summary>
public sealed class ScramRegistrationFormatTests
{
    private static readonly ScramVerifier Sha256 = ScramVerifier.Derive(ScramMechanism.Sha256, "pw");
    private static readonly ScramVerifier Sha512 = ScramVerifier.Derive(ScramMechanism.Sha512, "pw");

    [Fact]
    public void The_layout_is_version_name_count_and_length_prefixed_verifiers()
    {
        byte[] data = ScramRegistration.Encode(new UserCredentials("bob", [Sha256, Sha512]));

        Assert.Equal(365, data.Length);
        Assert.Equal(new byte[] { 0x01, 0x00, 0x03, (byte)'b', (byte)'o', (byte)'b', 0x02, 0x00, 0x85 }, data[..9]);
        Assert.Equal(Sha256.Format(), System.Text.Encoding.ASCII.GetString(data, 9, 133));
        Assert.Equal(new byte[] { 0x00, 0xDD }, data[142..144]);
        Assert.True(ScramRegistration.TryDecode(data, out UserCredentials? decoded, out _));
        Assert.Equal("bob", decoded.Name);
        Assert.Equal([Sha256.Format(), Sha512.Format()], decoded.Verifiers.Select(v => v.Format()));
    }

    [Fact]
    public void Trailing_bytes_truncation_a_wrong_version_and_a_repeated_mechanism_are_refused()
    {
        byte[] data = ScramRegistration.Encode(new UserCredentials("bob", [Sha256]));
        Assert.False(ScramRegistration.TryDecode([.. data, 0], out _, out _));
        Assert.False(ScramRegistration.TryDecode(data[..^1], out _, out _));
        Assert.False(ScramRegistration.TryDecode([2, .. data[1..]], out _, out _));
        byte[] twice = [.. data[..6], 2, .. data[7..], .. data[7..]];
        Assert.False(ScramRegistration.TryDecode(twice, out _, out string? problem));
        Assert.Contains("one mechanism", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Arbitrary_bytes_and_mutations_never_throw()
    {
        byte[] valid = ScramRegistration.Encode(new UserCredentials("bob", [Sha256, Sha512]));
        Gen.Byte.Array[0, 400].Sample(bytes => ScramRegistration.TryDecode(bytes, out _, out _) || true);
        Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte).Sample((index, value) =>
        {
            byte[] mutated = (byte[])valid.Clone();
            mutated[index] = value;
            _ = ScramRegistration.TryDecode(mutated, out _, out _);
        });
    }
}
