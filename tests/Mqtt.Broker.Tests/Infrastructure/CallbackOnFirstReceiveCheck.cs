namespace Mqtt.Broker.Tests;

/// <summary>
/// Allows everything; runs <see cref="Callback"/> once, inside the first delivery check for the client (of the topic, when
/// given): a test can act
/// at the moment a message has matched a subscription and is about to be handed to the session (or, for a new
/// subscription, while its retained messages are being read).
/// </summary>
internal sealed class CallbackOnFirstReceiveCheck(string clientId, string? topic = null) : IAuthorizer
{
    public Action? Callback;

    public ValueTask<bool> CanPublishAsync(ClientInfo client, string topic) => new(true);

    public ValueTask<bool> CanSubscribeAsync(ClientInfo client, string filter) => new(true);

    public bool CanReceive(ClientInfo client, string name)
    {
        if (client.ClientId == clientId && (topic is null || name == topic))
        {
            Interlocked.Exchange(ref Callback, null)?.Invoke();
        }
        return true;
    }
}
