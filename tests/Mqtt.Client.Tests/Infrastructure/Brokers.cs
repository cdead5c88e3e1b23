namespace Mqtt.Client.Tests;

/// <summary>Starts a broker by name, for theories that run against each.</summary>
public static class Brokers
{
    public static async Task<IBroker> StartAsync(string name) => name switch
    {
        "mosquitto" => await MosquittoBroker.StartAsync(),
        "mqttnet" => await MqttNetBroker.StartAsync(),
        _ => throw new ArgumentException($"unknown broker {name}"),
    };
}
