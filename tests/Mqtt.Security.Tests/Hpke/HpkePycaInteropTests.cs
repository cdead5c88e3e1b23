using System.Text.Json;
using System.Text.Json.Serialization;
using Mqtt.Security.Hpke;
using static Mqtt.Security.Tests.Hpke.HpkeTestVector;

namespace Mqtt.Security.Tests.Hpke;

/// <summary>
/// Messages sealed by pyca/cryptography's HPKE (base mode, both AES-GCM suites): RFC 9180 has no
/// P-256 vectors for AES-256-GCM, so this is that suite's check against another implementation.
/// Vectors/make-pyca-interop.py regenerates the file.
/// </summary>
public sealed class HpkePycaInteropTests
{
    private static readonly IReadOnlyList<PycaCase> Cases = LoadCases();

    public static TheoryData<int> CaseIndexes()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Cases.Count; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Fact]
    public void The_interop_file_covers_both_aeads()
    {
        Assert.Contains(Cases, static c => c.AeadId == (int)HpkeAeadId.Aes128Gcm);
        Assert.Contains(Cases, static c => c.AeadId == (int)HpkeAeadId.Aes256Gcm);
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void OpenBase_recovers_what_pyca_sealed(int index)
    {
        PycaCase c = Cases[index];
        Assert.True(HpkeSuite.TryGet(HpkeKemId.DhkemP256HkdfSha256, HpkeKdfId.HkdfSha256, (HpkeAeadId)c.AeadId, out HpkeSuite? suite));
        using HpkePrivateKey skR = DhkemP256.DeserializePrivateKey(Hex(c.SkRm));

        byte[] pt = suite.OpenBase(Hex(c.Enc), skR, Hex(c.Info), [], Hex(c.Ct));

        Assert.Equal(c.Pt, Convert.ToHexStringLower(pt));
    }

    private static List<PycaCase> LoadCases()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Vectors", "hpke-pyca-interop-p256.json");
        using FileStream stream = File.OpenRead(path);
        return JsonSerializer.Deserialize<PycaFile>(stream)?.Cases ?? throw new InvalidDataException(path);
    }

    private sealed class PycaFile
    {
        [JsonPropertyName("cases")] public List<PycaCase> Cases { get; init; } = [];
    }

    private sealed class PycaCase
    {
        [JsonPropertyName("aead_id")] public int AeadId { get; init; }
        [JsonPropertyName("skRm")] public string SkRm { get; init; } = "";
        [JsonPropertyName("info")] public string Info { get; init; } = "";
        [JsonPropertyName("pt")] public string Pt { get; init; } = "";
        [JsonPropertyName("enc")] public string Enc { get; init; } = "";
        [JsonPropertyName("ct")] public string Ct { get; init; } = "";
    }
}
