namespace Mqtt.Client.Tests;

/// <summary>
/// Collects the task exceptions our client leaves unobserved while a test runs; <see cref="Dispose"/> fails the test
/// when there are any. Garbage from earlier tests is finalized first, so only this test's count.
/// </summary>
internal sealed class UnobservedClientExceptions : IDisposable
{
    private readonly List<Exception> _seen = [];

    public UnobservedClientExceptions()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        TaskScheduler.UnobservedTaskException += OnUnobserved;
    }

    public void Dispose()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        TaskScheduler.UnobservedTaskException -= OnUnobserved;
        lock (_seen)
        {
            Assert.Empty(_seen);
        }
    }

    private void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
    {
        // Other test classes run in parallel (MQTTnet's server among them): only our client's exceptions count.
        if (!e.Exception.ToString().Contains("Mqtt.Client.", StringComparison.Ordinal))
        {
            return;
        }
        lock (_seen)
        {
            _seen.Add(e.Exception);
        }
    }
}
