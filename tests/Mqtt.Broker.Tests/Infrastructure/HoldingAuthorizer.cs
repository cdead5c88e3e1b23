namespace Mqtt.Broker.Tests;

/// <summary>
/// Allows everything, but holds a check of a topic or filter under "hold/" until <see cref="Release"/>: a test can
/// stop a connection in the middle of its packets and change the broker around it. Held at most <see cref="RawClient.Timeout"/>.
/// </summary>
internal sealed class HoldingAuthorizer : IAuthorizer
{
    private readonly TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a check is being held.</summary>
    public Task Holding => _holding.Task.WaitAsync(RawClient.Timeout);

    public void Release() => _released.TrySetResult();

    public ValueTask<bool> CanPublishAsync(ClientInfo client, string topic) => CheckAsync(topic);

    public ValueTask<bool> CanSubscribeAsync(ClientInfo client, string filter) => CheckAsync(filter);

    public bool CanReceive(ClientInfo client, string topic) => true;

    private ValueTask<bool> CheckAsync(string name) =>
        name.StartsWith("hold/", StringComparison.Ordinal) ? new(HoldAsync()) : new(true);

    private async Task<bool> HoldAsync()
    {
        _holding.TrySetResult();
        await _released.Task.WaitAsync(RawClient.Timeout);
        return true;
    }
}
