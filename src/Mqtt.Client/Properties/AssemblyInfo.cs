[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Mqtt.Client.Tests")]
