namespace Mqtt.Codec.Tests;

/// <summary>
/// Sample sizes of the generated tests, read from the environment so CI stays fast and a long run is one
/// variable away (see README.md in this project).
/// </summary>
public static class TestSettings
{
    /// <summary>Generated packets per packet type and protocol version in the round-trip tests.</summary>
    public static long PropertyIterations { get; } = Read("MQTTCORE_PROPERTY_ITERATIONS", 200);

    /// <summary>Hostile inputs in total, shared out over the fuzz generators.</summary>
    public static long FuzzIterations { get; } = Read("MQTTCORE_FUZZ_ITERATIONS", 100_000);

    private static long Read(string name, long fallback)
    {
        string? text = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }
        if (!long.TryParse(text, out long value) || value < 1)
        {
            throw new InvalidOperationException($"{name} must be a positive integer, not '{text}'");
        }
        return value;
    }
}
