namespace Mqtt.Broker;

/// <summary>Decides who may publish, subscribe and receive. Completes synchronously on the fast path.</summary>
public interface IAuthorizer
{
    /// <summary>May <paramref name="client"/> publish to <paramref name="topic"/>?</summary>
    ValueTask<bool> CanPublishAsync(ClientInfo client, string topic);

    /// <summary>May <paramref name="client"/> subscribe to <paramref name="filter"/>?</summary>
    ValueTask<bool> CanSubscribeAsync(ClientInfo client, string filter);

    /// <summary>May <paramref name="client"/> receive a message on <paramref name="topic"/>? Checked on each delivery.</summary>
    bool CanReceive(ClientInfo client, string topic);
}
