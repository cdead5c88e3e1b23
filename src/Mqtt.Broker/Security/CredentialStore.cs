using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mqtt.Security.Credentials;

namespace Mqtt.Broker;

/// <summary>
/// The credential file <c>credentials</c> in the data folder: one user per line with SCRAM verifiers, never a
/// password (docs/security.md). Shared by the broker and <c>mqttcore user</c>, possibly at the same time:
/// every change takes an exclusive lock on <c>credentials.lock</c> and first loads what other processes wrote, so
/// concurrent registrations of one name see each other. A new user is one appended line, flushed to disk (a
/// registration costs the same with ten users or a million); a removal or password change replaces the file
/// atomically (temp file, fsync, rename, fsync of the folder). Changes made by another process are picked up
/// through a <see cref="FileSystemWatcher"/>, a periodic check of the file's time and size, and a check on every
/// look-up.
/// </summary>
public sealed class CredentialStore : IDisposable
{
    /// <summary>Name of the credential file inside the data folder.</summary>
    public const string FileName = "credentials";

    /// <summary>Name of the lock file every change holds (flock), next to the credential file.</summary>
    internal const string LockFileName = "credentials.lock";
    private const string TempPrefix = "credentials.tmp-";
    private const string Header = "# mqttcore credentials: name:SCRAM verifiers, one user per line (docs/security.md)";

    /// <summary>The largest credential file read: over 500,000 users (a line is under 500 bytes), five times the default --max-users.</summary>
    internal const long MaximumFileSize = 256L * 1024 * 1024;
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Lock _reloadGate = new();
    private readonly FileSystemWatcher? _watcher;
    private readonly Timer? _poll;
    private volatile Snapshot _snapshot = Snapshot.Empty;
    private volatile Snapshot _lastReadable = Snapshot.Empty;
    private volatile bool _dirty = true;
    private volatile bool _appending;

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
        PrivateFiles.Restrict(DataDirectory, _logger);
        PrivateFiles.Restrict(FilePath, _logger);
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

    /// <summary>
    /// Why the file cannot be read (not UTF-8, too large, not a regular file), or null when it can. While it cannot, nobody
    /// logs in or registers and nobody is revoked: the users last read are kept for that (<see cref="UsersRemoved"/>
    /// compares with them once the file is fixed).
    /// </summary>
    public string? Problem
    {
        get
        {
            Refresh();
            return _snapshot.Problem;
        }
    }

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

    /// <summary>
    /// Does the file as last loaded still hold this entry: the user, with the same verifiers? No file access: for checks
    /// made under the broker's locks (<see cref="Refresh"/> first).
    /// </summary>
    internal bool HoldsSame(UserCredentials entry) =>
        _snapshot.Users.TryGetValue(entry.Name, out UserCredentials? current)
        && (ReferenceEquals(current, entry) || current.FormatLine() == entry.FormatLine());

    /// <summary>
    /// Looks a user up in the file as last read successfully: while it cannot be read, saved sessions are kept for the
    /// users it had, not dropped as if they had been removed. No file access (the watcher keeps it current): a state
    /// save asks under its lock, which must not wait for, or fail with, a read of this file.
    /// </summary>
    internal bool TryGetLastReadable(string name, [NotNullWhen(true)] out UserCredentials? credentials) =>
        _lastReadable.Users.TryGetValue(name, out credentials);

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
    /// <exception cref="InvalidDataException">The credential file is not UTF-8.</exception>
    public Task<bool> TryAddAsync(UserCredentials credentials, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return UnderFileLockAsync(() => Append(credentials), cancellationToken);
    }

    /// <summary>Replaces the verifiers of an existing user (a password change).</summary>
    /// <param name="credentials">The user with new verifiers.</param>
    /// <param name="cancellationToken">Gives up waiting for the file lock.</param>
    /// <returns>True when replaced; false when there is no such user.</returns>
    public Task<bool> TryReplaceAsync(UserCredentials credentials, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return RewriteAsync(
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
        return RewriteAsync(lines => RemoveAll(lines, name, 0) > 0, cancellationToken);
    }

    /// <summary>Reloads the file if it changed on disk since it was last read. Cheap when it did not.</summary>
    public void Refresh()
    {
        if (_appending)
        {
            // Our own append holds the file lock, so the file is the snapshot plus a line nobody may see yet.
            return;
        }

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

    /// <summary>
    /// Refresh from a timer or watcher thread, where an exception would end the process, or before a check that must
    /// go on with the users last read when the file cannot be read (a failed reload is logged and retried).
    /// </summary>
    internal void RefreshQuietly()
    {
        try
        {
            Refresh();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            _dirty = true;
            _logger.LogWarning("credential file reload failed: {Error}", ex.Message);
        }
    }

    /// <summary>Runs <paramref name="change"/> holding the in-process gate and the file lock, on the thread pool.</summary>
    private async Task<bool> UnderFileLockAsync(Func<bool> change, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            // The change blocks on fsync; a registration may arrive on a socket engine thread other connections share.
            await Task.Yield();
            using FileStream fileLock = await LockAsync(cancellationToken);
            cancellationToken.ThrowIfCancellationRequested(); // given up while the lock came: change nothing
            DeleteStaleTempFiles();
            return change();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Adds one line at the end of the file. Called under the file lock.</summary>
    private bool Append(UserCredentials credentials)
    {
        // Other processes change the file only under the lock we hold, so after this the snapshot is the file.
        Refresh();
        Snapshot current = _snapshot;
        if (current.Problem is string problem)
        {
            throw new InvalidDataException($"{problem}; no user can be added until it is fixed");
        }

        // Taken too when it differs from a user's name only in case or fullwidth forms (UserName.Fold).
        if (current.Users.ContainsKey(credentials.Name) || current.Folded.Contains(Mqtt.Security.UserName.Fold(credentials.Name)))
        {
            return false;
        }

        _appending = true;
        bool installed = false;
        try
        {
            AppendLine(credentials.FormatLine());
            lock (_reloadGate)
            {
                if (ReferenceEquals(_snapshot, current))
                {
                    _snapshot = _lastReadable = current.With(credentials, FileStamp.Of(FilePath));
                    installed = true;
                }
            }
        }
        finally
        {
            _appending = false;
        }

        if (!installed)
        {
            // A reload already running when the append began installed the file as it was: read it again now, so the
            // new user is there before this returns (the login that registered it is checked against it at once).
            Refresh();
        }

        return true;
    }

    /// <summary>Rewrites the whole file with <paramref name="change"/> applied to its lines.</summary>
    private Task<bool> RewriteAsync(Func<List<string>, bool> change, CancellationToken cancellationToken) =>
        UnderFileLockAsync(
            () =>
            {
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
            },
            cancellationToken);

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
                    options.UnixCreateMode = AtomicFile.OwnerOnly;
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
        var text = new StringBuilder();
        foreach (string line in lines)
        {
            text.Append(line).Append('\n');
        }

        string temp = Path.Combine(DataDirectory, TempPrefix + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N"));
        AtomicFile.Write(FilePath, temp, Utf8.GetBytes(text.ToString()));
    }

    /// <summary>
    /// Appends <paramref name="line"/> in one write and flushes it to disk. A crash in the middle can leave only a
    /// cut last line, which loads as a malformed line (ignored); the next append starts on a new line after it.
    /// </summary>
    private void AppendLine(string line)
    {
        bool created = !File.Exists(FilePath);
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = AtomicFile.OwnerOnly;
        }

        using (var stream = new FileStream(FilePath, options))
        {
            var text = new StringBuilder();
            if (created || stream.Length == 0)
            {
                text.Append(Header).Append('\n');
            }
            else if (EndsWithoutNewline(stream))
            {
                text.Append('\n');
            }

            text.Append(line).Append('\n');
            stream.Seek(0, SeekOrigin.End);
            stream.Write(Utf8.GetBytes(text.ToString()));
            stream.Flush(flushToDisk: true);
        }

        if (created)
        {
            AtomicFile.SyncDirectory(DataDirectory);
        }
    }

    private static bool EndsWithoutNewline(FileStream stream)
    {
        stream.Seek(-1, SeekOrigin.End);
        return stream.ReadByte() != '\n';
    }

    /// <summary>The file's lines; <see cref="InvalidDataException"/> saying why when it cannot be read as a credential file.</summary>
    private static List<string> ReadLines(string path)
    {
        string text;
        try
        {
            text = Utf8.GetString(ReadBounded(path));
        }
        catch (FileNotFoundException)
        {
            return [Header];
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException($"credential file {path} is not UTF-8");
        }

        var lines = new List<string>(text.Split('\n'));
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    /// <summary>
    /// The file's bytes, at most <see cref="MaximumFileSize"/>, and never more than its size said: a device in its place
    /// (/dev/zero) has no end.
    /// </summary>
    private static byte[] ReadBounded(string path)
    {
        if (Directory.Exists(path))
        {
            throw new InvalidDataException($"credential file {path} is a folder");
        }
        for (int attempt = 1; ; attempt++)
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            long size = file.Length;
            if (size > MaximumFileSize)
            {
                throw new InvalidDataException($"credential file {path} has {size} bytes, more than the {MaximumFileSize} read");
            }
            byte[] bytes = new byte[size + 1];
            int read = file.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            if (read <= size)
            {
                return bytes[..read];
            }
            // More than its size: grown meanwhile (another process's append, one write: read again), or no regular file.
            if (attempt == 3)
            {
                throw new InvalidDataException($"credential file {path} keeps growing while it is read, or is not a regular file");
            }
        }
    }

    private Snapshot Load(string path, FileStamp stamp)
    {
        List<string> lines;
        try
        {
            lines = ReadLines(path);
        }
        catch (InvalidDataException e)
        {
            _logger.LogError("{Problem}; no user can log in until it is fixed (nobody is revoked meanwhile)", e.Message);
            return Snapshot.Empty with { Stamp = stamp, Problem = e.Message };
        }

        ImmutableDictionary<string, UserCredentials>.Builder users = ImmutableDictionary.CreateBuilder<string, UserCredentials>(StringComparer.Ordinal);
        ImmutableList<UserCredentials>.Builder ordered = ImmutableList.CreateBuilder<UserCredentials>();
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

        ImmutableHashSet<string> folded = ImmutableHashSet.CreateRange(StringComparer.Ordinal, users.Keys.Select(Mqtt.Security.UserName.Fold));
        return new Snapshot(users.ToImmutable(), ordered.ToImmutable(), folded, stamp);
    }

    /// <summary>
    /// Swaps in a new snapshot and returns the users that are gone since the file was last read successfully. Called
    /// under the reload lock. A file that cannot be read removes nobody: one bad byte must not revoke every user.
    /// </summary>
    private List<string>? Install(Snapshot next)
    {
        _snapshot = next;
        if (next.Problem is not null)
        {
            return null;
        }
        Snapshot previous = _lastReadable;
        _lastReadable = next;
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

    private readonly record struct FileStamp(long LastWriteTicks, long Length, bool Exists)
    {
        public static FileStamp Of(string path)
        {
            var info = new FileInfo(path);
            return info.Exists ? new FileStamp(info.LastWriteTimeUtc.Ticks, info.Length, true) : default;
        }
    }

    /// <summary>The users as last loaded from the file (immutable: look-ups never lock), and the file's stamp then.</summary>
    private sealed record Snapshot(ImmutableDictionary<string, UserCredentials> Users, ImmutableList<UserCredentials> Ordered,
        ImmutableHashSet<string> Folded, FileStamp Stamp, string? Problem = null)
    {
        public static readonly Snapshot Empty = new(ImmutableDictionary.Create<string, UserCredentials>(StringComparer.Ordinal), [],
            ImmutableHashSet.Create<string>(StringComparer.Ordinal), new FileStamp(-1, -1, false));

        public Snapshot With(UserCredentials user, FileStamp stamp) => this with
        {
            Users = Users.Add(user.Name, user), Ordered = Ordered.Add(user), Folded = Folded.Add(Mqtt.Security.UserName.Fold(user.Name)), Stamp = stamp,
        };
    }
}
