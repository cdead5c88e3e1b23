using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Mqtt.Broker.Tests")]
[assembly: InternalsVisibleTo("Mqtt.Auth.Tests")]
[assembly: InternalsVisibleTo("Mqtt.Benchmarks")]
