namespace Mqtt.Client;

/// <summary>A User Property (MQTT 5 section 3.3.2.3.7): a name and value pair, in the order sent.</summary>
/// <param name="Name">Property name.</param>
/// <param name="Value">Property value.</param>
public readonly record struct MqttUserProperty(string Name, string Value);
