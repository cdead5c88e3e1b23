using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mqtt.Security.Credentials;

namespace Mqtt.Broker;

/// <summary>
/// The credential file <c>credentials</c> in the data folder: one user per line with SCRAM verifiers, never a
/// password (docs/security.md). Shared by the broker and <c>mqttcore user</c>, possibly at the same time:
/// every change takes an exclusive lock on <c>credentials.lock</c>, re-reads the file, and replaces it atomically
/// (temp file, fsync, rename, fsync of the folder), so concurrent registrations of one name see each other and a
/// crash leaves either the old or the new file. Changes made by another process are picked up through a
/// <see cref="FileSystemWatcher"/>, a periodic check of the file's time and size, and a check on every look-up.
/// </summary>
public sealed class CredentialStore : IDisposable
{
    /// <summary>Name of the credential file inside the data folder.</summary>
    public const string FileName = "credentials";

    private const string LockFileName = "credentials.lock";
    private const string TempPrefix = "credentials.tmp-";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Lock _reloadGate = new();
    private readonly FileSystemWatcher? _watcher;
    private readonly Timer? _poll;
    private volatile Snapshot _snapshot = Snapshot.Empty;
    private volatile bool _dirty = true;

    /// <summary>Opens (and creates, mode 0700) the data folder and loads the credential file if there is one.</summary>
    /// <param name="dataDirectory">The data folder.</param>
    /// <param name="logger">Where malformed lines and reloads are reported.</param>
    /// <param name="watch">Watch the file for changes by other processes (the broker does; one-shot tools need not).</param>
    public CredentialStore(string dataDirectory, ILogger? logger = null, bool watch = true)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        _logger = logger ?? NullLogger.Instance;
        DataDirectory = Path.GetFullPath(dataDirectory);
        CreatePrivateDirectory(DataDirectory);
        FilePath = Path.Combine(DataDirectory, FileName);
        Refresh();
        if (watch)
        {
            _watcher = new FileSystemWatcher(DataDirectory, FileName + "*") { NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
            _watcher.Changed += OnFileEvent;
            _watcher.Created += OnFileEvent;
            _watcher.Deleted += OnFileEvent;
            _watcher.Renamed += OnFileEvent;
            _watcher.EnableRaisingEvents = true;
            // inotify can overflow or miss a rename onto the file; a cheap stat every second catches that.
            _poll = new Timer(static s => ((CredentialStore)s!).RefreshQuietly(), this, 1000, 1000);
        }
    }

    /// <summary>Users that disappeared from the file (removed here or by another process), after the change is loaded.</summary>
    public event Action<IReadOnlyList<string>>? UsersRemoved;

    /// <summary>The data folder, as a full path.</summary>
    public string DataDirectory { get; }

    /// <summary>The credential file.</summary>
    public string FilePath { get; }

    /// <summary>Number of users currently loaded.</summary>
    public int Count
    {
        get
        {
            Refresh();
            return _snapshot.Users.Count;
        }
    }

    /// <summary>Creates a folder readable only by its owner (0700), or leaves an existing one as it is.</summary>
    /// <param name="path">The folder.</param>
    public static void CreatePrivateDirectory(string path)
    {
        if (!Directory.Exists(path))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(path);
            }
            else
            {
                Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
    }

    /// <summary>Looks a user up in the current file.</summary>
    /// <param name="name">The user name (exact, case-sensitive).</param>
    /// <param name="credentials">The user's verifiers, when the user exists.</param>
    /// <returns>True when the user exists.</returns>
    public bool TryGet(string name, [NotNullWhen(true)] out UserCredentials? credentials)
    {
        Refresh();
        return _snapshot.Users.TryGetValue(name, out credentials);
    }

    /// <summary>All users, in file order.</summary>
    /// <returns>A snapshot of the users.</returns>
    public IReadOnlyList<UserCredentials> List()
    {
        Refresh();
        return _snapshot.Ordered;
    }

    /// <summary>Adds a user unless the name is taken; the file is on disk when this returns true.</summary>
    /// <param name="credentials">The new user.</param>
    /// <param name="cancellationToken">Gives up waiting for the file lock.</param>
    /// <returns>True when added; false when the name exists (nothing changes).</returns>
    public Task<bool> TryAddAsync(UserCredentials credentials, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return ModifyAsync(
            lines =>
            {
                if (IndexOf(lines, credentials.Name) >= 0)
                {
                    return false;
                }

                lines.Add(credentials.FormatLine());
                return true;
            },
            cancellationToken);
    }

    /// <summary>Replaces the verifiers of an existing user (a password change).</summary>
    /// <param name="credentials">The user with new verifiers.</param>
    /// <param name="cancellationToken">Gives up waiting for the file lock.</param>
    /// <returns>True when replaced; false when there is no such user.</returns>
    public Task<bool> TryReplaceAsync(UserCredentials credentials, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return ModifyAsync(
            lines =>
            {
                int index = IndexOf(lines, credentials.Name);
                if (index < 0)
                {
                    return false;
                }

                lines[index] = credentials.FormatLine();
                RemoveAll(lines, credentials.Name, index + 1);
                return true;
            },
            cancellationToken);
    }

    /// <summary>Removes a user; the broker then disconnects them (see <see cref="UsersRemoved"/>).</summary>
    /// <param name="name">The user name.</param>
    /// <param name="cancellationToken">Gives up waiting for the file lock.</param>
    /// <returns>True when removed; false when there was no such user.</returns>
    public Task<bool> TryRemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ModifyAsync(lines => RemoveAll(lines, name, 0) > 0, cancellationToken);
    }

    /// <summary>Reloads the file if it changed on disk since it was last read. Cheap when it did not.</summary>
    public void Refresh()
    {
        FileStamp stamp = FileStamp.Of(FilePath);
        if (!_dirty && stamp == _snapshot.Stamp)
        {
            return;
        }

        IReadOnlyList<string>? removed;
        lock (_reloadGate)
        {
            _dirty = false;
            stamp = FileStamp.Of(FilePath);
            if (stamp == _snapshot.Stamp && _snapshot != Snapshot.Empty)
            {
                return;
            }

            removed = Install(Load(FilePath, stamp));
        }

        Announce(removed);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _watcher?.Dispose();
        _poll?.Dispose();
        _writeGate.Dispose();
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        _dirty = true;
        RefreshQuietly();
    }

    /// <summary>Refresh from a timer or watcher thread, where an exception would end the process.</summary>
    private void RefreshQuietly()
    {
        try
        {
            Refresh();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _dirty = true;
            _logger.LogWarning("credential file reload failed: {Error}", ex.Message);
        }
    }

    private async Task<bool> ModifyAsync(Func<List<string>, bool> change, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            using FileStream fileLock = await LockAsync(cancellationToken);
            DeleteStaleTempFiles();
            List<string> lines = ReadLines(FilePath);
            if (!change(lines))
            {
                return false;
            }

            WriteAtomically(lines);
            IReadOnlyList<string>? removed;
            lock (_reloadGate)
            {
                removed = Install(Load(FilePath, FileStamp.Of(FilePath)));
            }

            Announce(removed);
            return true;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>An exclusive advisory lock (flock) on credentials.lock, shared with every other process using this store.</summary>
    private async Task<FileStream> LockAsync(CancellationToken cancellationToken)
    {
        string path = Path.Combine(DataDirectory, LockFileName);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = OwnerOnly;
                }

                return new FileStream(path, options);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(Random.Shared.Next(5, 25), cancellationToken);
            }
        }
    }

    private void DeleteStaleTempFiles()
    {
        // Temp files are only made while the lock is held, so any found now were left by a crash.
        foreach (string stale in Directory.EnumerateFiles(DataDirectory, TempPrefix + "*"))
        {
            File.Delete(stale);
        }
    }

    private void WriteAtomically(List<string> lines)
    {
        string temp = Path.Combine(DataDirectory, TempPrefix + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N"));
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                var text = new StringBuilder();
                foreach (string line in lines)
                {
                    text.Append(line).Append('\n');
                }

                stream.Write(Utf8.GetBytes(text.ToString()));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, FilePath, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        SyncDirectory(DataDirectory);
    }

    private static List<string> ReadLines(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Utf8);
        }
        catch (FileNotFoundException)
        {
            return ["# mqttcore credentials: name:SCRAM verifiers, one user per line (docs/security.md)"];
        }

        var lines = new List<string>(text.Split('\n'));
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    private Snapshot Load(string path, FileStamp stamp)
    {
        List<string> lines;
        try
        {
            lines = ReadLines(path);
        }
        catch (DecoderFallbackException)
        {
            _logger.LogError("credential file {Path} is not UTF-8; no user can log in until it is fixed", path);
            return new Snapshot(new Dictionary<string, UserCredentials>(StringComparer.Ordinal), [], stamp);
        }

        var users = new Dictionary<string, UserCredentials>(StringComparer.Ordinal);
        var ordered = new List<UserCredentials>();
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (!UserCredentials.TryParseLine(line, out UserCredentials? credentials, out string? problem))
            {
                _logger.LogWarning("credential file line {Line} ignored: {Problem}", i + 1, problem);
                continue;
            }

            if (!users.TryAdd(credentials.Name, credentials))
            {
                _logger.LogWarning("credential file line {Line} ignored: the user is listed twice", i + 1);
                continue;
            }

            ordered.Add(credentials);
        }

        return new Snapshot(users, ordered, stamp);
    }

    /// <summary>Swaps in a new snapshot and returns the users that are gone. Called under the reload lock.</summary>
    private List<string>? Install(Snapshot next)
    {
        Snapshot previous = _snapshot;
        _snapshot = next;
        List<string>? removed = null;
        foreach (string name in previous.Users.Keys)
        {
            if (!next.Users.ContainsKey(name))
            {
                (removed ??= []).Add(name);
            }
        }

        return removed;
    }

    private void Announce(IReadOnlyList<string>? removed)
    {
        if (removed is not null)
        {
            _logger.LogInformation("credential file reloaded: {Count} user(s) removed", removed.Count);
            UsersRemoved?.Invoke(removed);
        }
    }

    private static int IndexOf(List<string> lines, string name)
    {
        for (int i = 0; i < lines.Count; i++)
        {
            if (NameOf(lines[i]) == name)
            {
                return i;
            }
        }

        return -1;
    }

    private static int RemoveAll(List<string> lines, string name, int start)
    {
        int removed = 0;
        for (int i = lines.Count - 1; i >= start; i--)
        {
            if (NameOf(lines[i]) == name)
            {
                lines.RemoveAt(i);
                removed++;
            }
        }

        return removed;
    }

    private static string? NameOf(string line) =>
        line.Length > 0 && line[0] != '#' && UserCredentials.TryParseLine(line, out UserCredentials? credentials, out _) ? credentials.Name : null;

    private static void SyncDirectory(string directory)
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

    private readonly record struct FileStamp(long LastWriteTicks, long Length, bool Exists)
    {
        public static FileStamp Of(string path)
        {
            var info = new FileInfo(path);
            return info.Exists ? new FileStamp(info.LastWriteTimeUtc.Ticks, info.Length, true) : default;
        }
    }

    private sealed record Snapshot(Dictionary<string, UserCredentials> Users, List<UserCredentials> Ordered, FileStamp Stamp)
    {
        public static readonly Snapshot Empty = new(new Dictionary<string, UserCredentials>(StringComparer.Ordinal), [], new FileStamp(-1, -1, false));
    }
}
