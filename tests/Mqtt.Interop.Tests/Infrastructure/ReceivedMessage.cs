using System.Text;
using MQTTnet;

namespace Mqtt.Interop.Tests;

/// <summary>A message an MQTTnet client received, with its payload copied out of the client's buffers.</summary>
internal sealed record ReceivedMessage(MqttApplicationMessage Message, byte[] Payload, MqttApplicationMessageReceivedEventArgs EventArgs)
{
    /// <summary>Sends PUBACK/PUBREC now, for a client with <see cref="MqttNetPeer.Acknowledge"/> off.</summary>
    public Task AcknowledgeAsync() => EventArgs.AcknowledgeAsync(CancellationToken.None);

    public string Topic => Message.Topic;

    public string Text => Encoding.UTF8.GetString(Payload);

    public override string ToString() => $"{Topic} '{Text}' qos={(int)Message.QualityOfServiceLevel} retain={Message.Retain}";
}
