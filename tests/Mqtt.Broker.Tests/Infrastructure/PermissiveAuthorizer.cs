namespace Mqtt.Broker.Tests;

/// <summary>Allows everything ($-topics included) except publishing to or subscribing to anything under "deny/".</summary>
internal sealed class PermissiveAuthorizer : IAuthorizer
{
    public ValueTask<bool> CanPublishAsync(ClientInfo client, string topic) => new(!topic.StartsWith("deny/", StringComparison.Ordinal));

    public ValueTask<bool> CanSubscribeAsync(ClientInfo client, string filter) => new(!filter.StartsWith("deny/", StringComparison.Ordinal));

    public bool CanReceive(ClientInfo client, string topic) => true;
}
