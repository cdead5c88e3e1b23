using System.Security.Cryptography;
using System.Text;

namespace Mqtt.Security.EndToEnd;

/// <summary>
/// File plumbing shared by <see cref="KeyStore"/> and <see cref="TrustStore"/>: folders 0700, files 0600
/// written whole to a temporary name and renamed into place (readers never see half a key), PEM
/// encoding that clears its buffers, and user names turned into safe file names.
/// </summary>
internal static class KeyFiles
{
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private const string PemLabel = "PRIVATE KEY";

    /// <summary>Creates a folder (and its parents) readable only by the owner; leaves existing folders as they are.</summary>
    public static void CreatePrivateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path, PrivateFolder);
        }
    }

    /// <summary>
    /// Takes group and other bits off a user's key folder made before (or by hand): whoever may write to it could
    /// swap a pin or a key file for one of their own, whatever mode each file has (a probe found 0755 kept as it was).
    /// </summary>
    public static void MakeFolderPrivate(string path)
    {
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~PrivateFolder) != 0)
        {
            File.SetUnixFileMode(path, PrivateFolder);
        }
    }

    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/> atomically with mode 0600: a temporary
    /// file created with that mode (no window where others can open it), flushed to disk, then renamed.
    /// </summary>
    /// <returns>False when <paramref name="overwrite"/> is false and the file already exists.</returns>
    public static bool WriteAtomically(string path, ReadOnlySpan<byte> content, bool overwrite)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string temporary = Path.Combine(folder, $".{Path.GetFileName(path)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateFile;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                // The umask can only remove bits from UnixCreateMode; set the mode exactly anyway.
                File.SetUnixFileMode(temporary, PrivateFile);
            }

            if (!overwrite && File.Exists(path))
            {
                return false;
            }

            File.Move(temporary, path, overwrite);
            return true;
        }
        catch (IOException) when (!overwrite && File.Exists(path))
        {
            return false; // another process created it between the check and the move
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// Takes an exclusive lock on <paramref name="path"/> (created 0600 when missing), retrying for up to
    /// <paramref name="patience"/>. FileShare.None is what .NET on Unix backs with flock(LOCK_EX), so it excludes
    /// other processes and other handles in this one alike.
    /// </summary>
    /// <returns>The open lock file; disposing it releases the lock.</returns>
    /// <exception cref="IOException">The lock was still held by someone else after <paramref name="patience"/>.</exception>
    public static FileStream LockExclusively(string path, TimeSpan patience)
    {
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateFile;
        }

        long deadline = Environment.TickCount64 + (long)patience.TotalMilliseconds;
        while (true)
        {
            try
            {
                return new FileStream(path, options);
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                Thread.Sleep(Random.Shared.Next(5, 25));
            }
        }
    }

    /// <summary>Reads a file that must be private to its owner.</summary>
    /// <exception cref="E2eException"><see cref="E2eError.InsecureKeyFile"/> when group or others have any access.</exception>
    public static byte[] ReadPrivate(string path)
    {
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupOrOther) != 0)
        {
            throw new E2eException(E2eError.InsecureKeyFile, $"{path} is accessible to other users; expected mode 0600 (chmod 600 it).");
        }

        return File.ReadAllBytes(path);
    }

    /// <summary>Encodes a PKCS#8 private key as PEM, clearing the intermediate buffers.</summary>
    public static byte[] ToPem(byte[] pkcs8)
    {
        char[] pem = PemEncoding.Write(PemLabel, pkcs8);
        try
        {
            byte[] text = new byte[pem.Length + 1];
            Encoding.ASCII.GetBytes(pem, text);
            text[^1] = (byte)'\n';
            return text;
        }
        finally
        {
            Array.Clear(pem);
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>Loads a P-256 PKCS#8 PEM into <paramref name="key"/>, clearing the file bytes.</summary>
    /// <exception cref="E2eException"><see cref="E2eError.InsecureKeyFile"/> or <see cref="E2eError.CorruptKeyFile"/>.</exception>
    public static void ImportPem(string path, ECAlgorithm key)
    {
        byte[] bytes = ReadPrivate(path);
        char[] chars = new char[bytes.Length];
        try
        {
            Encoding.ASCII.GetChars(bytes, chars);
            key.ImportFromPem(chars);
            if (!IdentitySignature.IsP256(key))
            {
                throw new E2eException(E2eError.CorruptKeyFile, $"{path} does not hold a P-256 key.");
            }
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException and not E2eException)
        {
            throw new E2eException(E2eError.CorruptKeyFile, $"{path} does not hold a PKCS#8 PEM private key.", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
            Array.Clear(chars);
        }
    }

    /// <summary>
    /// A file or folder name for a user: the name itself when it is plain ASCII letters, digits, '_', '-'
    /// and '.' not starting with '.', otherwise '~' and the SHA-256 of its UTF-8 (so "..", spaces or
    /// non-ASCII names never reach the file system as paths).
    /// </summary>
    public static string SafeName(string user)
    {
        bool plain = user.Length is > 0 and <= UserName.MaxLength && user[0] != '.';
        foreach (char c in user)
        {
            plain &= char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.';
        }

        return plain ? user : "~" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(user)));
    }
}
