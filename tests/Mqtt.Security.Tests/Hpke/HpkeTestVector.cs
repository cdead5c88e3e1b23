using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mqtt.Security.Tests.Hpke;

/// <summary>One entry of an RFC 9180 test-vector file, field names as in the RFC's test-vectors.json.</summary>
public sealed class HpkeTestVector
{
    [JsonPropertyName("mode")] public int Mode { get; init; }
    [JsonPropertyName("kem_id")] public int KemId { get; init; }
    [JsonPropertyName("kdf_id")] public int KdfId { get; init; }
    [JsonPropertyName("aead_id")] public int AeadId { get; init; }
    [JsonPropertyName("info")] public string Info { get; init; } = "";
    [JsonPropertyName("ikmE")] public string IkmE { get; init; } = "";
    [JsonPropertyName("pkEm")] public string PkEm { get; init; } = "";
    [JsonPropertyName("skEm")] public string SkEm { get; init; } = "";
    [JsonPropertyName("ikmR")] public string IkmR { get; init; } = "";
    [JsonPropertyName("pkRm")] public string PkRm { get; init; } = "";
    [JsonPropertyName("skRm")] public string SkRm { get; init; } = "";
    [JsonPropertyName("ikmS")] public string? IkmS { get; init; }
    [JsonPropertyName("pkSm")] public string? PkSm { get; init; }
    [JsonPropertyName("skSm")] public string? SkSm { get; init; }
    [JsonPropertyName("psk")] public string? Psk { get; init; }
    [JsonPropertyName("psk_id")] public string? PskId { get; init; }
    [JsonPropertyName("enc")] public string Enc { get; init; } = "";
    [JsonPropertyName("shared_secret")] public string SharedSecret { get; init; } = "";
    [JsonPropertyName("key_schedule_context")] public string KeyScheduleContext { get; init; } = "";
    [JsonPropertyName("secret")] public string Secret { get; init; } = "";
    [JsonPropertyName("key")] public string Key { get; init; } = "";
    [JsonPropertyName("base_nonce")] public string BaseNonce { get; init; } = "";
    [JsonPropertyName("exporter_secret")] public string ExporterSecret { get; init; } = "";
    [JsonPropertyName("encryptions")] public List<HpkeTestEncryption> Encryptions { get; init; } = [];
    [JsonPropertyName("exports")] public List<HpkeTestExport>? Exports { get; init; }

    public bool HasSender => IkmS is not null;

    public static IReadOnlyList<HpkeTestVector> Load(string fileName)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Vectors", fileName);
        using FileStream stream = File.OpenRead(path);
        HpkeTestVectorFile file = JsonSerializer.Deserialize<HpkeTestVectorFile>(stream)
            ?? throw new InvalidDataException(path);
        return file.Vectors;
    }

    public static byte[] Hex(string? hex) => hex is null ? [] : Convert.FromHexString(hex);

    private sealed class HpkeTestVectorFile
    {
        [JsonPropertyName("vectors")] public List<HpkeTestVector> Vectors { get; init; } = [];
    }
}

public sealed class HpkeTestEncryption
{
    [JsonPropertyName("seq")] public ulong Seq { get; init; }
    [JsonPropertyName("pt")] public string Pt { get; init; } = "";
    [JsonPropertyName("aad")] public string Aad { get; init; } = "";
    [JsonPropertyName("nonce")] public string Nonce { get; init; } = "";
    [JsonPropertyName("ct")] public string Ct { get; init; } = "";
}

public sealed class HpkeTestExport
{
    [JsonPropertyName("exporter_context")] public string ExporterContext { get; init; } = "";
    [JsonPropertyName("L")] public int Length { get; init; }
    [JsonPropertyName("exported_value")] public string ExportedValue { get; init; } = "";
}
