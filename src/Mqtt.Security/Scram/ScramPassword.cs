namespace Mqtt.Security.Scram;

/// <summary>How a password string becomes the octets fed to <c>Hi()</c>.</summary>
/// <remarks>
/// RFC 5802 asks for SASLprep (RFC 4013). We use the password's UTF-8 bytes as they are, with no
/// normalization, as PostgreSQL does when SASLprep fails. The NFKC step alone ("SASLprep-lite")
/// was considered and dropped: with InvariantGlobalization=true, which this project sets,
/// <see cref="string.Normalize(System.Text.NormalizationForm)"/> silently returns non-ASCII text
/// unchanged, while a host without invariant mode would normalize it, so the same password would
/// give different verifiers on different hosts. Using bytes as-is is identical everywhere, agrees
/// with SASLprep on every ASCII password, and matches the MQTT CONNECT password, which is binary.
/// </remarks>
internal static class ScramPassword
{
    /// <summary>The password's UTF-8 bytes; throws <see cref="ArgumentException"/> on an unpaired surrogate.</summary>
    public static byte[] Encode(string password, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(password, parameterName);
        if (!StrictUtf8.IsWellFormed(password))
        {
            throw new ArgumentException("The password contains an unpaired surrogate and has no UTF-8 form.", parameterName);
        }

        return StrictUtf8.GetBytes(password);
    }
}
