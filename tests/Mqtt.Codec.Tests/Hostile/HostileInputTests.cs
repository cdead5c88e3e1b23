using CsCheck;

namespace Mqtt.Codec.Tests;

/// <summary>
/// Arbitrary and mutated bytes never make the codec throw or answer anything but a packet, "need more data"
/// or a typed error. MQTTCORE_FUZZ_ITERATIONS inputs in total (default 100,000), shared out evenly over the
/// generators; set it to 1,000,000 or more for a full run (see README.md).
/// </summary>
public class HostileInputTests
{
    public static TheoryData<string> Generators() => new(HostileInputGenerators.Names);

    [Theory]
    [MemberData(nameof(Generators))]
    public void Reader_returns_a_packet_need_more_data_or_a_typed_error_and_nothing_else(string generator)
    {
        long iterations = Math.Max(1, TestSettings.FuzzIterations / HostileInputGenerators.Names.Length);
        HostileInputGenerators.ByName(generator).Sample(HostileInputInvariant.Check, iter: iterations);
    }
}
