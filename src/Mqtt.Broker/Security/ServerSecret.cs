using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace Mqtt.Broker;

/// <summary>
/// The broker's secret for decoy salts of unknown users (docs/scram.md): 32 random bytes in <c>server-secret</c>
/// in the data folder, created once with mode 0600 and kept across restarts so an unknown name's salt stays stable.
/// </summary>
public static class ServerSecret
{
    /// <summary>Name of the secret file inside the data folder.</summary>
    public const string FileName = "server-secret";

    private const int Length = 32;

    /// <summary>Reads the secret, creating it first if there is none (safe against a concurrent creator).</summary>
    /// <param name="dataDirectory">The data folder.</param>
    /// <returns>The secret.</returns>
    /// <exception cref="InvalidDataException">The file exists but is not a secret this broker wrote.</exception>
    /// <param name="logger">Told when the file was open to other users (its mode is then tightened).</param>
    public static byte[] LoadOrCreate(string dataDirectory, ILogger? logger = null)
    {
        CredentialStore.CreatePrivateDirectory(dataDirectory);
        string path = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(path))
        {
            string temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temp, options))
            {
                stream.Write(RandomNumberGenerator.GetBytes(Length));
                stream.Flush(flushToDisk: true);
            }

            try
            {
                // Without overwrite: if another process won the race, its secret stays and we read it.
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException)
            {
                File.Delete(temp);
            }
        }

        PrivateFiles.Restrict(path, logger);
        byte[] secret = File.ReadAllBytes(path);
        if (secret.Length < Length)
        {
            throw new InvalidDataException($"{path} is shorter than {Length} bytes; delete it to make a new one (decoy salts will change)");
        }

        return secret;
    }
}
