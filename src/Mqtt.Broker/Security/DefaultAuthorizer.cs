namespace Mqtt.Broker;

/// <summary>Allows everything except publishing to "$" topics, which belong to the broker ($SYS is read-only).</summary>
public sealed class DefaultAuthorizer : IAuthorizer
{
    /// <inheritdoc/>
    public ValueTask<bool> CanPublishAsync(ClientInfo client, string topic) => new(!topic.StartsWith('$'));

    /// <inheritdoc/>
    public ValueTask<bool> CanSubscribeAsync(ClientInfo client, string filter) => new(true);

    /// <inheritdoc/>
    public bool CanReceive(ClientInfo client, string topic) => true;
}
