namespace Mqtt.Client.Tests;

/// <summary>
/// The limits the client announced in CONNECT, which <see cref="ExpectedClientReaction"/> enforces as the client does.
/// The model also takes the client to connect for the first time with Clean Start 1.
/// </summary>
public sealed record ClientLimits(int MaximumPacketSize, ushort TopicAliasMaximum, ushort ReceiveMaximum);
