namespace Mqtt.Broker;

/// <summary>What the state file holds: retained messages and the sessions that outlive their connection.</summary>
internal sealed class BrokerState
{
    public List<ApplicationMessage> Retained { get; } = [];

    public List<SessionState> Sessions { get; } = [];
}
