using Mqtt.Codec;

namespace Mqtt.Broker;

/// <summary>A subscription as the state file keeps it: the filter as subscribed, its options and its identifier (0: none).</summary>
internal readonly record struct SavedSubscription(string Filter, Subscription Options, int Identifier);
