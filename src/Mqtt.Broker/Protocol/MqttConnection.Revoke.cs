using Mqtt.Codec;

namespace Mqtt.Broker;

internal sealed partial class MqttConnection
{
    /// <summary>The user lost access: discard the Will and close with DISCONNECT 0x98 Administrative action.</summary>
    public Task RevokeAsync()
    {
        lock (_broker.SessionsGate)
        {
            MarkRevoked();
        }
        return CloseAsync(ReasonCode.AdministrativeAction);
    }

    /// <summary>The Will is discarded and no delayed Will is left behind. Called under <see cref="MqttBroker.SessionsGate"/>.</summary>
    public void MarkRevoked()
    {
        _normalDisconnect = true;
        _takenOver = true;
        _closing = true;
    }
}
