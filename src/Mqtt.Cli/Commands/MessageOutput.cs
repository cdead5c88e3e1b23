using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Mqtt.Cli.Commands;

/// <summary>
/// Where `sub` and `recv` print messages: one line each, flushed at once (scripts read them as they come), and a
/// reader that went away (`mqttcore sub -t X | head -n 1`) reported, so the command can end as mosquitto_sub does.
/// </summary>
internal sealed class MessageOutput
{
    private const int BrokenPipe = 32; // EPIPE on Linux and macOS; .NET puts errno in an IOException's HResult on Unix

    private readonly TextWriter _writer;
    private readonly TextWriter _error;

    /// <summary>Prints to <paramref name="output"/>: the process's stdout, or a writer an in-process caller gave.</summary>
    public MessageOutput(TextWriter output, TextWriter error)
    {
        _writer = ReferenceEquals(output, Console.Out) && !OperatingSystem.IsWindows() ? new StreamWriter(StandardOutput(), new UTF8Encoding(false)) : output;
        _error = error;
    }

    /// <summary>
    /// Console.Out drops EPIPE (and the runtime ignores SIGPIPE), so writes to a closed pipe would succeed for ever; a
    /// FileStream over fd 1 reports them. Not for a file: a FileStream writes at an offset of its own (pwrite), so it
    /// would overwrite what the shell wrote before it (`{ echo a; mqttcore sub ...; } > out`), and a file has no reader
    /// to lose; the console stream writes at the file's shared offset.
    /// </summary>
    private static Stream StandardOutput()
    {
        var descriptor = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        if (!descriptor.CanSeek)
        {
            return descriptor;
        }
        descriptor.Dispose();
        return Console.OpenStandardOutput();
    }

    /// <summary>Writes <paramref name="line"/> and flushes; false when stdout cannot be written any more.</summary>
    public bool TryWriteLine(string line) => TryWrite(line, endOfLine: true);

    /// <summary>
    /// Writes <paramref name="text"/>, then an end of line unless <paramref name="endOfLine"/> is false (`sub -N`, which
    /// streams payloads back to back), and flushes; false when stdout cannot be written any more.
    /// </summary>
    public bool TryWrite(string text, bool endOfLine)
    {
        try
        {
            if (endOfLine)
            {
                _writer.WriteLine(text);
            }
            else
            {
                _writer.Write(text);
            }
            _writer.Flush();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) // the latter for a closed fd 1 (EBADF)
        {
            if (e.HResult != BrokenPipe)
            {
                _error.WriteLine($"cannot write to stdout: {e.Message}");
            }
            return false;
        }
    }
}
