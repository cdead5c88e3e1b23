using System.Buffers;
using System.Text.Json.Nodes;

namespace Mqtt.Codec.Tests;

/// <summary>
/// Packets captured from mosquitto_pub/mosquitto_sub 2.0.11 and MQTTnet 5.2 (Captures/README.md): we read
/// every one with exactly the fields an independent decoder found, and write them back byte for byte,
/// except where our writer picks another legal encoding, listed below with the reason.
/// </summary>
public class CaptureTests
{
    /// <summary>
    /// Captures our writer re-encodes differently, legally. MQTT 5 leaves the order of properties free
    /// (2.2.2.2) and we write them in identifier order with User Properties last; mosquitto writes them in
    /// the order they were given on its command line, MQTTnet in an order of its own, and the two disagree
    /// with each other (mosquitto puts Receive Maximum 0x21 before Request Problem Information 0x17 in
    /// CONNECT, MQTTnet the other way round), so no single write order reproduces both.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> LegalAlternatives = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["mosquitto_pub-v5-connect-properties.hex"] =
            "property order: mosquitto writes CONNECT properties 0x11 0x21 0x27 0x22 0x19 0x17 0x26, we write 0x11 0x17 0x19 0x21 0x22 0x27 0x26",
        ["mosquitto_pub-v5-connect-will-properties.hex"] =
            "property order: mosquitto writes Will Properties 0x18 0x02 0x03 0x01 0x08 0x09 0x26, we write 0x01 0x02 0x03 0x08 0x09 0x18 0x26",
        ["mosquitto_pub-v5-publish-properties.hex"] =
            "property order: mosquitto writes PUBLISH properties 0x02 0x03 0x01 0x26 0x08 0x09, we write 0x01 0x02 0x03 0x08 0x09 0x26",
        ["mqttnet-v5-connect-properties-will-user-password.hex"] =
            "property order: MQTTnet writes Will Properties 0x01 0x02 0x08 0x09 0x03 0x26 0x18, we write 0x01 0x02 0x03 0x08 0x09 0x18 0x26",
        ["mqttnet-v5-publish-qos2-properties.hex"] =
            "property order: MQTTnet writes PUBLISH properties 0x03 0x09 0x02 0x01 0x08 0x26, we write 0x01 0x02 0x03 0x08 0x09 0x26",
        ["mqttnet-v5-disconnect.hex"] =
            "shortest form: a normal DISCONNECT without properties may omit Reason Code and Property Length (3.14.2.1); "
            + "MQTTnet writes e0020000, we (and mosquitto) write e000",
    };

    public static TheoryData<string> Files() => new(CaptureManifest.All.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Files))]
    public void Capture_reads_with_every_field_the_manifest_lists(string file)
    {
        Capture capture = CaptureManifest.Get(file);
        DecodeResult result = PacketDecoder.Decode(capture.Bytes, capture.Version);
        AnyPacket packet = result.CompletePacket;
        Assert.Equal(capture.Bytes.Length, result.Consumed);
        Assert.Equal(capture.Packet, ManifestView.NameOf(packet.Type));
        AssertMatches(capture.Fields, ManifestView.Of(packet, capture.Version), "fields");

        // And the same from one byte per segment.
        PacketFields.AssertEqual(packet, PacketDecoder.Decode(SegmentedSequence.OneBytePerSegment(capture.Bytes), capture.Version).CompletePacket);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Capture_writes_back_to_the_same_bytes_or_to_a_listed_legal_alternative(string file)
    {
        Capture capture = CaptureManifest.Get(file);
        AnyPacket packet = PacketDecoder.Decode(capture.Bytes, capture.Version).CompletePacket;
        byte[] ours = packet.ToBytes(capture.Version);
        Assert.Equal(packet.GetSize(capture.Version), ours.Length);

        if (!LegalAlternatives.TryGetValue(file, out string? reason))
        {
            Assert.Equal(Hex.Of(capture.Bytes), Hex.Of(ours));
            return;
        }

        // Listed as different: it must really differ (else the entry is stale), and our bytes must read back
        // to the very same fields.
        Assert.NotEqual(Hex.Of(capture.Bytes), Hex.Of(ours));
        PacketFields.AssertEqual(packet, PacketDecoder.Decode(ours, capture.Version).CompletePacket, reason);
        if (reason.StartsWith("property order", StringComparison.Ordinal))
        {
            // Only the order differs: same length, same bytes in another arrangement.
            Assert.Equal(capture.Bytes.Length, ours.Length);
            Assert.Equal(Hex.Of(capture.Bytes.Order().ToArray()), Hex.Of(ours.Order().ToArray()));
        }
        else
        {
            Assert.True(ours.Length < capture.Bytes.Length, "a shortest form is shorter");
        }
    }

    [Fact]
    public void Manifest_covers_every_capture_file_and_every_listed_alternative_is_a_capture()
    {
        string[] hexFiles = Directory.GetFiles(CaptureManifest.Folder, "*.hex");
        Assert.NotEmpty(hexFiles);
        foreach (string path in hexFiles)
        {
            Assert.True(CaptureManifest.All.ContainsKey(Path.GetFileName(path)), $"{Path.GetFileName(path)} has no manifest entry");
        }
        Assert.Equal(hexFiles.Length, CaptureManifest.All.Count);
        foreach (string file in LegalAlternatives.Keys)
        {
            Assert.True(CaptureManifest.All.ContainsKey(file), $"{file} is listed as a legal alternative but is not a capture");
        }
    }

    [Fact]
    public void Captures_cover_both_clients_both_versions_and_the_packets_the_issue_names()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (Capture c in CaptureManifest.All.Values)
        {
            seen.Add($"{c.Client.Split(' ')[0]} {c.Version} {c.Packet}");
        }
        foreach (string client in new[] { "mosquitto_pub", "MQTTnet" })
        {
            foreach (string version in new[] { "V311", "V500" })
            {
                foreach (string packet in new[] { "CONNECT", "PUBLISH", "DISCONNECT" })
                {
                    Assert.Contains($"{client} {version} {packet}", seen);
                }
            }
        }
        foreach (string packet in new[] { "SUBSCRIBE", "UNSUBSCRIBE" })
        {
            Assert.Contains($"mosquitto_sub V311 {packet}", seen);
            Assert.Contains($"mosquitto_sub V500 {packet}", seen);
            Assert.Contains($"MQTTnet V500 {packet}", seen);
        }
    }

    /// <summary>Deep comparison; objects by key (order free, no key missing or extra), arrays in order.</summary>
    private static void AssertMatches(JsonNode? expected, JsonNode? actual, string path)
    {
        switch (expected)
        {
            case null:
                Assert.True(actual is null, $"{path}: expected null, got {actual?.ToJsonString()}");
                break;
            case JsonObject e:
                JsonObject a = Assert.IsType<JsonObject>(actual, exactMatch: true);
                foreach ((string key, JsonNode? value) in e)
                {
                    Assert.True(a.ContainsKey(key), $"{path}.{key}: in the manifest, not in what we read");
                    AssertMatches(value, a[key], $"{path}.{key}");
                }
                foreach ((string key, JsonNode? value) in a)
                {
                    Assert.True(e.ContainsKey(key), $"{path}.{key}: we read {value?.ToJsonString()}, the manifest has nothing");
                }
                break;
            case JsonArray e:
                JsonArray array = Assert.IsType<JsonArray>(actual, exactMatch: true);
                Assert.True(e.Count == array.Count, $"{path}: {e.Count} items expected, {array.Count} read");
                for (int i = 0; i < e.Count; i++)
                {
                    AssertMatches(e[i], array[i], $"{path}[{i}]");
                }
                break;
            default:
                Assert.True(actual is JsonValue, $"{path}: expected {expected.ToJsonString()}, got {actual?.ToJsonString() ?? "null"}");
                Assert.True(expected.ToJsonString() == actual!.ToJsonString(), $"{path}: expected {expected.ToJsonString()}, read {actual.ToJsonString()}");
                break;
        }
    }
}
