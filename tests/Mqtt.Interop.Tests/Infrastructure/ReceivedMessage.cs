using System.Text;
using MQTTnet;

namespace Mqtt.Interop.Tests;

/// <summary>A message an MQTTnet client received, with its payload copied out of the client's buffers.</summary>
internal sealed record ReceivedMessage(MqttApplicationMessage Message, byte[] Payload)
{
    public string Topic => Message.Topic;

    public string Text => Encoding.UTF8.GetString(Payload);

    public override string ToString() => $"{Topic} '{Text}' qos={(int)Message.QualityOfServiceLevel} retain={Message.Retain}";
}
