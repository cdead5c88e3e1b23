namespace Mqtt.Security.EndToEnd;

/// <summary>What <see cref="TrustStore.Accept"/> did with an announcement whose identity key it accepted.</summary>
public enum TrustResult
{
    /// <summary>No key was pinned for the user: this identity key is now pinned (trust on first use). Show its fingerprint.</summary>
    FirstUse = 1,

    /// <summary>The pinned identity key and the current agreement key: nothing changed.</summary>
    Unchanged,

    /// <summary>A newer announcement under the pinned identity key: the agreement key rotated and the new one is current.</summary>
    Rotated,

    /// <summary>An older announcement under the pinned identity key (e.g. a stale retained copy): ignored, the newer one stays.</summary>
    Outdated,

    /// <summary>The first announcement seen for a fingerprint the user trusted explicitly with <see cref="TrustStore.Trust"/>.</summary>
    Trusted,
}
