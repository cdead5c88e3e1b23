namespace Mqtt.Broker.Tests;

/// <summary>Bounded polling for state the broker reaches asynchronously.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        long deadline = Environment.TickCount64 + (long)(timeout ?? RawClient.Timeout).TotalMilliseconds;
        while (!condition())
        {
            Assert.True(Environment.TickCount64 < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
