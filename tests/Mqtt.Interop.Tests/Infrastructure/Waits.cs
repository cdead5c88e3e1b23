namespace Mqtt.Interop.Tests;

/// <summary>Every wait in these tests is bounded by one of these; none of them is a performance assertion.</summary>
internal static class Waits
{
    /// <summary>How long something that should happen may take on a busy 2-core machine.</summary>
    public static readonly TimeSpan Expected = TimeSpan.FromSeconds(15);

    /// <summary>How long a peer process may run before it is killed and the test fails.</summary>
    public static readonly TimeSpan Process = TimeSpan.FromSeconds(30);

    /// <summary>Polls <paramref name="condition"/> until it holds or <see cref="Expected"/> passes.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow + Expected;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }
            await Task.Delay(20);
        }
    }
}
