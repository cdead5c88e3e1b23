namespace Mqtt.Broker;

/// <summary>Decides who may publish, subscribe and receive. Completes synchronously on the fast path.</summary>
public interface IAuthorizer
{
    /// <summary>May <paramref name="client"/> publish to <paramref name="topic"/>?</summary>
    ValueTask<bool> CanPublishAsync(ClientInfo client, string topic);

    /// <summary>May <paramref name="client"/> subscribe to <paramref name="filter"/>?</summary>
    ValueTask<bool> CanSubscribeAsync(ClientInfo client, string filter);

    /// <summary>
    /// May <paramref name="client"/> receive a message on <paramref name="topic"/>? Checked on each delivery, for a Shared
    /// Subscription's members while the subscriptions are being matched: it must not publish, subscribe or unsubscribe
    /// through the broker (the topic tree's lock is held and does not recurse).
    /// </summary>
    bool CanReceive(ClientInfo client, string topic);

    /// <summary>
    /// May <paramref name="client"/> use a Client Identifier whose session (connected or not) belongs to
    /// <paramref name="ownerUserName"/>? By default only the same user may (SECURITY.md section 4), so nobody can
    /// take over another user's connection or inherit their session; refused with CONNACK 0x87.
    /// </summary>
    bool CanTakeOverClientId(ClientInfo client, string? ownerUserName) => string.Equals(client.UserName, ownerUserName, StringComparison.Ordinal);
}
