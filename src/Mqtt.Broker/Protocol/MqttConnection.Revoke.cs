using Mqtt.Codec;

namespace Mqtt.Broker;

internal sealed partial class MqttConnection
{
    /// <summary>The user lost access: discard the Will and close with DISCONNECT 0x98 Administrative action.</summary>
    public Task RevokeAsync()
    {
        _normalDisconnect = true;
        _takenOver = true;
        return CloseAsync(ReasonCode.AdministrativeAction);
    }
}
