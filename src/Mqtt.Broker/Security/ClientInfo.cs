using System.Net;

namespace Mqtt.Broker;

/// <summary>Who is on a connection, as authentication and authorization see it.</summary>
/// <param name="ClientId">The Client Identifier.</param>
/// <param name="UserName">The authenticated user, or null when anonymous.</param>
/// <param name="RemoteEndPoint">The peer's address.</param>
/// <param name="IsTls">Whether the connection is encrypted.</param>
public sealed record ClientInfo(string ClientId, string? UserName, IPEndPoint? RemoteEndPoint, bool IsTls);
