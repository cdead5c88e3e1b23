namespace Mqtt.Client;

/// <summary>
/// A slot of the server's Receive Maximum granted by <see cref="SendQuota.TakeAsync"/>: the generation it belongs to, and
/// whether its publication holds the turn (it waited for the slot) and must give it back with <see cref="SendQuota.EndTurn"/>.
/// </summary>
internal readonly record struct SendSlot(int Generation, bool HoldsTurn);
