using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Mqtt.Broker.Tests")]
