using System.Diagnostics.CodeAnalysis;
using System.Text;
using Mqtt.Security.Scram;

namespace Mqtt.Security.Credentials;

/// <summary>
/// One user of the credential file: a valid <see cref="Mqtt.Security.UserName"/> and one SCRAM verifier per
/// mechanism (at least one). Never a password.
/// </summary>
/// <remarks>
/// Line form (docs/security.md): <c>&lt;name&gt;:&lt;verifier&gt;[:&lt;verifier&gt;]</c>, where the name has
/// <c>%</c> and <c>:</c> written as <c>%25</c> and <c>%3A</c> (names may contain <c>:</c>) and each verifier is
/// <see cref="ScramVerifier.Format"/>'s <c>SCRAM-SHA-256$i:salt$StoredKey:ServerKey</c>. A verifier has exactly
/// two colons, so the rest of the line splits into groups of three colon-separated fields.
/// </remarks>
public sealed class UserCredentials
{
    private readonly ScramVerifier[] _verifiers;

    /// <summary>Creates credentials from a name and its verifiers.</summary>
    /// <param name="name">A name that passes <see cref="Mqtt.Security.UserName.IsValid(string?)"/>.</param>
    /// <param name="verifiers">One or more verifiers, at most one per mechanism.</param>
    /// <exception cref="ArgumentException">The name is invalid, there is no verifier, or a mechanism repeats.</exception>
    public UserCredentials(string name, IReadOnlyList<ScramVerifier> verifiers)
    {
        if (!Mqtt.Security.UserName.IsValid(name))
        {
            throw new ArgumentException("The user name is not valid (SECURITY.md section 2).", nameof(name));
        }

        ArgumentNullException.ThrowIfNull(verifiers);
        string? problem = CheckVerifiers(verifiers);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(verifiers));
        }

        Name = name;
        _verifiers = [.. verifiers];
    }

    /// <summary>The user name.</summary>
    public string Name { get; }

    /// <summary>The verifiers, one per mechanism, in the order given.</summary>
    public IReadOnlyList<ScramVerifier> Verifiers => _verifiers;

    /// <summary>Derives SCRAM-SHA-256 and SCRAM-SHA-512 verifiers from a password, each with its own random salt.</summary>
    /// <param name="name">The user name.</param>
    /// <param name="password">The password; used once and not kept.</param>
    /// <param name="iterationCount">PBKDF2 iterations, at least <see cref="ScramVerifier.MinimumIterationCount"/>.</param>
    /// <returns>The credentials.</returns>
    public static UserCredentials Derive(string name, string password, int iterationCount = ScramVerifier.DefaultIterationCount)
    {
        return new UserCredentials(name, [
            ScramVerifier.Derive(ScramMechanism.Sha256, password, iterationCount),
            ScramVerifier.Derive(ScramMechanism.Sha512, password, iterationCount),
        ]);
    }

    /// <summary>The verifier for <paramref name="mechanism"/>, or null when the user has none for it.</summary>
    /// <param name="mechanism">The mechanism.</param>
    /// <returns>The verifier or null.</returns>
    public ScramVerifier? GetVerifier(ScramMechanism mechanism)
    {
        foreach (ScramVerifier verifier in _verifiers)
        {
            if (verifier.Mechanism == mechanism)
            {
                return verifier;
            }
        }

        return null;
    }

    /// <summary>The credential file line, without a line break.</summary>
    /// <returns>The line.</returns>
    public string FormatLine()
    {
        var line = new StringBuilder(EscapeName(Name));
        foreach (ScramVerifier verifier in _verifiers)
        {
            line.Append(':').Append(verifier.Format());
        }

        return line.ToString();
    }

    /// <summary>Parses a credential file line (not a comment or blank line).</summary>
    /// <param name="line">The line without its line break.</param>
    /// <param name="credentials">The credentials, on success.</param>
    /// <param name="problem">What is wrong with the line, on failure (never echoes key material).</param>
    /// <returns>True when the line is well-formed.</returns>
    public static bool TryParseLine(string line, [NotNullWhen(true)] out UserCredentials? credentials, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(line);
        credentials = null;
        int colon = line.IndexOf(':');
        if (colon <= 0)
        {
            problem = "expected name:verifier";
            return false;
        }

        if (!TryUnescapeName(line.AsSpan(0, colon), out string? name) || !Mqtt.Security.UserName.IsValid(name))
        {
            problem = "the user name is not valid";
            return false;
        }

        string[] fields = line[(colon + 1)..].Split(':');
        if (fields.Length % 3 != 0)
        {
            problem = "a verifier is incomplete";
            return false;
        }

        var verifiers = new List<ScramVerifier>(fields.Length / 3);
        for (int i = 0; i < fields.Length; i += 3)
        {
            if (!ScramVerifier.TryParse($"{fields[i]}:{fields[i + 1]}:{fields[i + 2]}", out ScramVerifier? verifier))
            {
                problem = $"verifier {(i / 3) + 1} is not a well-formed SCRAM verifier";
                return false;
            }

            verifiers.Add(verifier);
        }

        problem = CheckVerifiers(verifiers);
        if (problem is not null)
        {
            return false;
        }

        credentials = new UserCredentials(name, verifiers);
        return true;
    }

    private static string? CheckVerifiers(IReadOnlyList<ScramVerifier> verifiers)
    {
        if (verifiers.Count == 0)
        {
            return "at least one verifier is needed";
        }

        for (int i = 0; i < verifiers.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(verifiers[i]);
            for (int j = 0; j < i; j++)
            {
                if (verifiers[j].Mechanism == verifiers[i].Mechanism)
                {
                    return $"two verifiers for {verifiers[i].Mechanism.Name}";
                }
            }
        }

        return null;
    }

    private static string EscapeName(string name) =>
        name.Replace("%", "%25", StringComparison.Ordinal).Replace(":", "%3A", StringComparison.Ordinal);

    private static bool TryUnescapeName(ReadOnlySpan<char> text, [NotNullWhen(true)] out string? name)
    {
        name = null;
        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '%')
            {
                result.Append(text[i]);
                continue;
            }

            ReadOnlySpan<char> code = i + 3 <= text.Length ? text.Slice(i + 1, 2) : default;
            if (code.SequenceEqual("25"))
            {
                result.Append('%');
            }
            else if (code.SequenceEqual("3A"))
            {
                result.Append(':');
            }
            else
            {
                return false;
            }

            i += 2;
        }

        name = result.ToString();
        return true;
    }
}
