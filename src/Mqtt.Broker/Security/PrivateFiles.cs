using Microsoft.Extensions.Logging;

namespace Mqtt.Broker;

/// <summary>
/// The data folder and the files in it that hold secrets (verifiers, the decoy secret) are the owner's alone. Ones made
/// elsewhere (a folder created by hand, a restored backup) may let others read them: their group and other bits are
/// cleared on open, with a warning, as the E2E key store refuses such files (docs/security.md).
/// </summary>
internal static class PrivateFiles
{
    private const UnixFileMode OthersAndGroup = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Clears the group and other bits of <paramref name="path"/> (a file or folder) if it exists and has any.</summary>
    public static void Restrict(string path, ILogger? logger)
    {
        if (OperatingSystem.IsWindows() || !Path.Exists(path))
        {
            return;
        }
        UnixFileMode mode = File.GetUnixFileMode(path);
        if ((mode & OthersAndGroup) == 0)
        {
            return;
        }
        UnixFileMode owner = mode & ~OthersAndGroup;
        try
        {
            File.SetUnixFileMode(path, owner);
            logger?.LogWarning("{Path} was open to other users (mode {Mode}); it is now {Owner}, the owner's alone",
                path, Octal(mode), Octal(owner));
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            // Not ours to change (a folder shared through a group, owned by another user): say so, and go on.
            logger?.LogWarning("{Path} is open to other users (mode {Mode}) and could not be made private: {Error}",
                path, Octal(mode), e.Message);
        }
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');
}
