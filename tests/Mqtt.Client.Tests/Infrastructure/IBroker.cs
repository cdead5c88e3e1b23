namespace Mqtt.Client.Tests;

/// <summary>A broker started for one test, listening on 127.0.0.1:<see cref="Port"/>.</summary>
public interface IBroker : IAsyncDisposable
{
    string Name { get; }

    int Port { get; }
}
