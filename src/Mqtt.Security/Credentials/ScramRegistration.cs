using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Mqtt.Security.Scram;

namespace Mqtt.Security.Credentials;

/// <summary>
/// The Authentication Data of the <c>MQTTCORE-REGISTER</c> method (docs/security.md): a user name and the SCRAM
/// verifiers the client derived itself, so the password never leaves the client.
/// </summary>
/// <remarks>
/// Layout, all integers big-endian as in MQTT:
/// <code>
/// offset 0      1 byte   format version, 0x01
/// offset 1      2 bytes  N, length of the user name
/// offset 3      N bytes  user name, UTF-8
/// offset 3+N    1 byte   K, number of verifiers, 1 or 2
/// then K times: 2 bytes  L, length of the verifier
///               L bytes  verifier text, ASCII, ScramVerifier.Format()
/// </code>
/// Nothing may follow the last verifier.
/// </remarks>
public static class ScramRegistration
{
    /// <summary>The MQTT Authentication Method of a registration.</summary>
    public const string Method = "MQTTCORE-REGISTER";

    /// <summary>The format version this code writes and reads.</summary>
    public const byte FormatVersion = 1;

    /// <summary>Shortest salt accepted in a registered verifier.</summary>
    public const int MinimumSaltLength = 16;

    /// <summary>Longest salt accepted in a registered verifier.</summary>
    public const int MaximumSaltLength = 64;

    private const int MaximumVerifierLength = 512;

    /// <summary>Encodes a registration.</summary>
    /// <param name="credentials">The user name and verifiers to register.</param>
    /// <returns>The Authentication Data for CONNECT.</returns>
    public static byte[] Encode(UserCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        byte[] name = Encoding.UTF8.GetBytes(credentials.Name);
        var verifiers = new byte[credentials.Verifiers.Count][];
        int size = 1 + 2 + name.Length + 1;
        for (int i = 0; i < verifiers.Length; i++)
        {
            verifiers[i] = Encoding.ASCII.GetBytes(credentials.Verifiers[i].Format());
            size += 2 + verifiers[i].Length;
        }

        byte[] data = new byte[size];
        data[0] = FormatVersion;
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(1), (ushort)name.Length);
        name.CopyTo(data, 3);
        int offset = 3 + name.Length;
        data[offset++] = (byte)verifiers.Length;
        foreach (byte[] verifier in verifiers)
        {
            BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(offset), (ushort)verifier.Length);
            verifier.CopyTo(data, offset + 2);
            offset += 2 + verifier.Length;
        }

        return data;
    }

    /// <summary>Decodes and validates a registration strictly.</summary>
    /// <param name="data">The Authentication Data.</param>
    /// <param name="credentials">The credentials to register, on success.</param>
    /// <param name="problem">What is wrong, on failure; safe to log (never echoes the data).</param>
    /// <returns>True when the data is a well-formed registration for a name valid for a new user (<see cref="Mqtt.Security.UserName.IsValidForNewUser(ReadOnlySpan{byte})"/>).</returns>
    public static bool TryDecode(ReadOnlySpan<byte> data, [NotNullWhen(true)] out UserCredentials? credentials, [NotNullWhen(false)] out string? problem)
    {
        credentials = null;
        if (data.Length < 4 || data[0] != FormatVersion)
        {
            problem = "not a version 1 registration";
            return false;
        }

        int nameLength = BinaryPrimitives.ReadUInt16BigEndian(data[1..]);
        if (data.Length < 3 + nameLength + 1)
        {
            problem = "truncated user name";
            return false;
        }

        ReadOnlySpan<byte> nameBytes = data.Slice(3, nameLength);
        if (!Mqtt.Security.UserName.IsValidForNewUser(nameBytes))
        {
            problem = "the user name is not valid for a new user";
            return false;
        }

        int offset = 3 + nameLength;
        int count = data[offset++];
        if (count is < 1 or > 2)
        {
            problem = "a registration carries one or two verifiers";
            return false;
        }

        var verifiers = new List<ScramVerifier>(count);
        for (int i = 0; i < count; i++)
        {
            if (data.Length - offset < 2)
            {
                problem = "truncated verifier";
                return false;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
            offset += 2;
            if (length > MaximumVerifierLength || data.Length - offset < length)
            {
                problem = "truncated or oversized verifier";
                return false;
            }

            ReadOnlySpan<byte> text = data.Slice(offset, length);
            offset += length;
            if (System.Text.Ascii.IsValid(text) is false || !ScramVerifier.TryParse(Encoding.ASCII.GetString(text), out ScramVerifier? verifier))
            {
                problem = "a verifier is not well-formed";
                return false;
            }

            if (verifier.Salt.Length is < MinimumSaltLength or > MaximumSaltLength)
            {
                problem = $"a salt must be {MinimumSaltLength} to {MaximumSaltLength} bytes";
                return false;
            }

            verifiers.Add(verifier);
        }

        if (offset != data.Length)
        {
            problem = "bytes after the last verifier";
            return false;
        }

        if (verifiers.Count == 2 && verifiers[0].Mechanism == verifiers[1].Mechanism)
        {
            problem = "two verifiers for one mechanism";
            return false;
        }

        credentials = new UserCredentials(Encoding.UTF8.GetString(nameBytes), verifiers);
        problem = null;
        return true;
    }
}
