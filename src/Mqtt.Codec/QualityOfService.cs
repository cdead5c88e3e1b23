namespace Mqtt.Codec;

/// <summary>Delivery guarantee of an Application Message.</summary>
public enum QualityOfService : byte
{
    /// <summary>QoS 0: fire and forget.</summary>
    AtMostOnce = 0,
    /// <summary>QoS 1: acknowledged delivery, duplicates possible.</summary>
    AtLeastOnce = 1,
    /// <summary>QoS 2: assured delivery, exactly once.</summary>
    ExactlyOnce = 2,
}
