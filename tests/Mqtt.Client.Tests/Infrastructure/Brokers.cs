namespace Mqtt.Client.Tests;

/// <summary>Starts a broker by name, for theories that run against each.</summary>
public static class Brokers
{
    /// <summary>Every broker the client is tested against: ours (in-process), the MQTTnet 5 server (in-process) and Mosquitto.</summary>
    public static readonly string[] All = ["ours", "mqttnet", "mosquitto"];

    public static async Task<IBroker> StartAsync(string name) => name switch
    {
        "mosquitto" => await MosquittoBroker.StartAsync(),
        "mqttnet" => await MqttNetBroker.StartAsync(),
        "ours" => await OurBroker.StartAsync(),
        _ => throw new ArgumentException($"unknown broker {name}"),
    };
}
