namespace Mqtt.Broker;

/// <summary>
/// The state file (<see cref="BrokerOptions.PersistenceFile"/>) cannot be loaded: it is not one, is of another version,
/// or is truncated or corrupt. The broker does not start, as Mosquitto refuses a bad database; the message names the
/// file, the offset and what is wrong.
/// </summary>
public sealed class StateFileException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/> at <paramref name="offset"/>.</summary>
    /// <param name="path">The state file.</param>
    /// <param name="offset">Where in the file the problem is.</param>
    /// <param name="problem">What is wrong.</param>
    public StateFileException(string path, long offset, string problem)
        : base($"state file {path}: {problem} (at byte {offset}); move it away to start without the saved state")
    {
        FilePath = path;
        Offset = offset;
    }

    /// <summary>The state file.</summary>
    public string FilePath { get; }

    /// <summary>Where in the file the problem is.</summary>
    public long Offset { get; }
}
