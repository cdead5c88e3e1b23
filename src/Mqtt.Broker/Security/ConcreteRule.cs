namespace Mqtt.Broker;

/// <summary>A rule with its templates filled in for one client: first match decides, allow or deny.</summary>
internal readonly record struct ConcreteRule(PatternLevel[] Levels, bool Allow);
