using System.Security.Cryptography;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Security.Tests.EndToEnd;

public sealed class FingerprintTests
{
    [Fact]
    public void A_fingerprint_is_the_SHA256_of_the_identity_keys_SubjectPublicKeyInfo()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters q = key.ExportParameters(false);
        byte[] point = [0x04, .. q.Q.X!, .. q.Q.Y!];

        Fingerprint fingerprint = Fingerprint.Of(point);

        Assert.Equal(SHA256.HashData(key.ExportSubjectPublicKeyInfo()), fingerprint.Bytes.ToArray());
    }

    [Fact]
    public void Shown_as_16_groups_of_4_hex_digits_and_parsed_back_from_every_accepted_form()
    {
        Fingerprint fingerprint = Fingerprint.FromBytes(Enumerable.Range(0, 32).Select(static i => (byte)(i * 7)).ToArray());
        string shown = fingerprint.ToString();

        Assert.Equal(16, shown.Split(' ').Length);
        Assert.All(shown.Split(' '), static group => Assert.Equal(4, group.Length));
        Assert.Equal(64, fingerprint.ToCompactString().Length);
        foreach (string form in new[]
        {
            shown, fingerprint.ToCompactString(), fingerprint.ToCompactString().ToUpperInvariant(),
            "SHA256:" + fingerprint.ToCompactString(), shown.Replace(' ', ':'), shown.Replace(' ', '-'), "  " + shown + " ",
        })
        {
            Assert.True(Fingerprint.TryParse(form, out Fingerprint? parsed), form);
            Assert.Equal(fingerprint, parsed);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("abcd")]
    [InlineData("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00")] // 66 digits
    [InlineData("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1")] // 63 digits
    [InlineData("g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")]
    public void Anything_but_64_hex_digits_is_not_a_fingerprint(string? text)
    {
        Assert.False(Fingerprint.TryParse(text, out _));
        Assert.Throws<FormatException>(() => Fingerprint.Parse(text ?? "x"));
    }
}
