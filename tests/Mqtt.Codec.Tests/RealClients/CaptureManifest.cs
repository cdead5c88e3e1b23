using System.Text.Json.Nodes;

namespace Mqtt.Codec.Tests;

/// <summary>One entry of Captures/captures.json: a packet a real client sent and its fields as decoded independently.</summary>
public sealed record Capture(string File, string Client, ProtocolVersion Version, string Packet, JsonObject Fields, byte[] Bytes)
{
    public override string ToString() => File;
}

/// <summary>Loads the captures from the test output folder (Captures/** is copied there by the project file).</summary>
public static class CaptureManifest
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Captures");

    private static readonly Lazy<IReadOnlyDictionary<string, Capture>> Entries = new(Load);

    public static IReadOnlyDictionary<string, Capture> All => Entries.Value;

    public static Capture Get(string file) => All[file];

    private static IReadOnlyDictionary<string, Capture> Load()
    {
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "captures.json")))!.AsArray();
        var entries = new Dictionary<string, Capture>(StringComparer.Ordinal);
        foreach (JsonNode? node in manifest)
        {
            JsonObject entry = node!.AsObject();
            string file = (string)entry["file"]!;
            ProtocolVersion version = (string)entry["protocol"]! switch
            {
                "5" => ProtocolVersion.V500,
                "3.1.1" => ProtocolVersion.V311,
                string other => throw new InvalidDataException($"{file}: unknown protocol {other}"),
            };
            byte[] bytes = Hex.Parse(File.ReadAllText(Path.Combine(Folder, file)).Trim());
            entries.Add(file, new Capture(file, (string)entry["client"]!, version, (string)entry["packet"]!, entry["fields"]!.AsObject(), bytes));
        }
        return entries;
    }
}
