using System.Runtime.InteropServices;

namespace Mqtt.Broker;

/// <summary>
/// Files the broker replaces whole (the credential file, the state file): written to a temporary file in the same
/// folder with mode 0600, flushed to disk, renamed over the old one, then the folder flushed too, so a crash leaves
/// either the old file or the new one, never half of one.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Owner read and write (0600): these files hold verifiers or message payloads.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Writes <paramref name="content"/> to <paramref name="temp"/> (which must not exist), then renames it to <paramref name="path"/>.</summary>
    public static void Write(string path, string temp, byte[] content) => Write(path, temp, stream => stream.Write(content));

    /// <summary>Has <paramref name="write"/> fill <paramref name="temp"/> (which must not exist), then renames it to <paramref name="path"/>.</summary>
    public static void Write(string path, string temp, Action<Stream> write)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Makes a rename or a new file in <paramref name="directory"/> durable.</summary>
    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // The rename is durable only once the folder is; .NET cannot open a folder, so ask libc.
        int fd = Native.open(directory, 0);
        if (fd >= 0)
        {
            _ = Native.fsync(fd);
            _ = Native.close(fd);
        }
    }

    private static class Native
    {
        [DllImport("libc", SetLastError = true)]
#pragma warning disable SA1300, IDE1006 // libc names
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);
#pragma warning restore SA1300, IDE1006
    }
}
