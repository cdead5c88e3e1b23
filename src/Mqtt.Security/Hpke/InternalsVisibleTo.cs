using System.Runtime.CompilerServices;

// The RFC 9180 vectors fix the ephemeral key and read intermediate key-schedule values;
// those hooks stay internal so applications cannot choose an ephemeral key.
[assembly: InternalsVisibleTo("Mqtt.Security.Tests")]
